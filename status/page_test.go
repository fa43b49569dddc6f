package status_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

func TestPageURL(t *testing.T) {
	t.Parallel()
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		require.NoError(t, err)
		return u
	}
	for _, tc := range []struct {
		name  string
		base  *url.URL
		hosts []string
		want  string
	}{
		{"no host: under the base", mustURL("https://herald.example/"), nil, "https://herald.example/p/shop"},
		{"a host takes the base's scheme", mustURL("https://herald.example"), []string{"status.shop.example"}, "https://status.shop.example"},
		{"a host without port keeps the base's port", mustURL("http://herald.example:8080"), []string{"status.shop.example"}, "http://status.shop.example:8080"},
		{"a host with a port keeps its own", mustURL("http://herald.example:8080"), []string{"status.shop.example:9000"}, "http://status.shop.example:9000"},
		{"no base", nil, nil, "http://localhost:8080/p/shop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &status.Page{Slug: "shop", Hosts: tc.hosts}
			require.Equal(t, tc.want, p.URL(tc.base))
		})
	}
}
