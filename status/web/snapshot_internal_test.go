package web

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSnapshotCacheIsBounded(t *testing.T) {
	t.Parallel()
	sn := &Snapshot{}
	builds := 0
	build := func() (*response, error) { builds++; return &response{}, nil }
	for i := range maxCachedAnswers + 50 {
		_, err := sn.get(fmt.Sprint("key", i), build)
		require.NoError(t, err)
	}
	require.EqualValues(t, maxCachedAnswers, sn.cached.Load())
	n := 0
	sn.cache.Range(func(any, any) bool { n++; return true })
	require.Equal(t, maxCachedAnswers, n)
	// A cached key is not built again; one past the bound is built each time.
	before := builds
	_, _ = sn.get("key0", build)
	require.Equal(t, before, builds)
	_, _ = sn.get(fmt.Sprint("key", maxCachedAnswers+10), build)
	require.Equal(t, before+1, builds)
	// Failed builds are not kept.
	_, err := (&Snapshot{}).get("bad", func() (*response, error) { return nil, fmt.Errorf("boom") })
	require.Error(t, err)
}
