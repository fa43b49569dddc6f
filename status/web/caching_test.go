package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestPublicCaching(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		w := buildWorld(t, b)
		for _, path := range w.publicPaths() {
			t.Run(path, func(t *testing.T) {
				first := b.get(t, acmeHost, path)
				require.Equal(t, http.StatusOK, first.Code)
				etag, lastMod := first.Header.Get("ETag"), first.Header.Get("Last-Modified")
				require.NotEmpty(t, etag)
				require.Regexp(t, `^"[^"]+"$`, etag, "a quoted entity tag")
				require.NotEmpty(t, lastMod)
				lm, err := http.ParseTime(lastMod)
				require.NoError(t, err)
				st := decodeObject(t, b.get(t, acmeHost, "/api/v2/status.json").Body)
				pageUpdated, err := time.Parse(time.RFC3339, st["page"].(map[string]any)["updated_at"].(string))
				require.NoError(t, err)
				require.True(t, lm.Equal(pageUpdated.Truncate(time.Second)), "last modified is the newest public change: %s", lastMod)
				require.False(t, lm.After(epoch))
				require.Contains(t, first.Header.Get("Cache-Control"), "max-age=")
				require.Contains(t, first.Header.Get("Cache-Control"), "public")
				require.Contains(t, first.Header.Get("Vary"), "Accept-Encoding")

				again := b.get(t, acmeHost, path)
				require.Equal(t, etag, again.Header.Get("ETag"), "the same snapshot gives the same tag")
				require.Equal(t, first.Body, again.Body)

				for _, tc := range []struct {
					name    string
					headers []string
					code    int
				}{
					{"matching If-None-Match", []string{"If-None-Match", etag}, http.StatusNotModified},
					{"weak If-None-Match", []string{"If-None-Match", "W/" + etag}, http.StatusNotModified},
					{"If-None-Match list", []string{"If-None-Match", `"nope", ` + etag}, http.StatusNotModified},
					{"If-None-Match star", []string{"If-None-Match", "*"}, http.StatusNotModified},
					{"other If-None-Match", []string{"If-None-Match", `"nope"`}, http.StatusOK},
					{"If-None-Match wins over If-Modified-Since", []string{"If-None-Match", `"nope"`, "If-Modified-Since", lastMod}, http.StatusOK},
					{"If-Modified-Since now", []string{"If-Modified-Since", lastMod}, http.StatusNotModified},
					{"If-Modified-Since later", []string{"If-Modified-Since", epoch.Add(time.Hour).Format(http.TimeFormat)}, http.StatusNotModified},
					{"If-Modified-Since earlier", []string{"If-Modified-Since", lm.Add(-time.Second).Format(http.TimeFormat)}, http.StatusOK},
					{"If-Modified-Since garbage", []string{"If-Modified-Since", "yesterday"}, http.StatusOK},
				} {
					r := b.get(t, acmeHost, path, tc.headers...)
					require.Equal(t, tc.code, r.Code, tc.name)
					if tc.code == http.StatusNotModified {
						require.Empty(t, r.Body, tc.name)
						require.Equal(t, etag, r.Header.Get("ETag"), tc.name)
						require.NotEmpty(t, r.Header.Get("Cache-Control"), tc.name)
					} else {
						require.Equal(t, first.Body, r.Body, tc.name)
					}
				}

				gz := b.get(t, acmeHost, path, "Accept-Encoding", "gzip, deflate, br")
				require.Equal(t, http.StatusOK, gz.Code)
				require.Equal(t, first.Header.Get("Content-Type"), gz.Header.Get("Content-Type"))
				if gz.Header.Get("Content-Encoding") == "" {
					require.Less(t, len(first.Body), 1024, "only small answers go uncompressed")
					require.Equal(t, first.Body, gz.Body)
					return
				}
				require.Equal(t, "gzip", gz.Header.Get("Content-Encoding"))
				require.Less(t, len(gz.Body), len(first.Body))
				zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
				require.NoError(t, err)
				plain, err := io.ReadAll(zr)
				require.NoError(t, err)
				require.Equal(t, first.Body, plain, "the gzip body unpacks to the same bytes")

				gzTag := gz.Header.Get("ETag")
				require.NotEqual(t, etag, gzTag, "the gzip form is another representation with its own ETag")
				r := b.get(t, acmeHost, path, "Accept-Encoding", "gzip", "If-None-Match", gzTag)
				require.Equal(t, http.StatusNotModified, r.Code, "validators work with compression too")
				require.Equal(t, gzTag, r.Header.Get("ETag"))

				for _, ae := range []string{"identity", "gzip;q=0, identity", "br;q=1.0, gzip;q=0", "deflate"} {
					r := b.get(t, acmeHost, path, "Accept-Encoding", ae)
					require.Empty(t, r.Header.Get("Content-Encoding"), "Accept-Encoding: %s", ae)
					require.Equal(t, first.Body, r.Body, "Accept-Encoding: %s", ae)
				}
				r = b.get(t, acmeHost, path, "Accept-Encoding", "br;q=1.0, gzip;q=0.5")
				require.Equal(t, "gzip", r.Header.Get("Content-Encoding"), "gzip with a lower preference is still fine")
			})
		}

		t.Run("a change gives a new tag", func(t *testing.T) {
			before := b.get(t, acmeHost, "/api/v2/status.json")
			b.clock.Advance(time.Minute)
			statustest.Incident(t, b.svc, w.page.ID, &statustest.IncidentOpts{Severity: status.SeverityBusinessContinuity})
			b.refresh(t)
			after := b.get(t, acmeHost, "/api/v2/status.json", "If-None-Match", before.Header.Get("ETag"))
			require.Equal(t, http.StatusOK, after.Code)
			require.NotEqual(t, before.Header.Get("ETag"), after.Header.Get("ETag"))
		})

		t.Run("errors are not cached as pages", func(t *testing.T) {
			r := b.get(t, acmeHost, "/incidents/zzzzzzzzzzzz")
			require.Equal(t, http.StatusNotFound, r.Code)
			require.Empty(t, r.Header.Get("ETag"))
		})
	})
}
