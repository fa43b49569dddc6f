// Package static holds Herald's CSS, icons and small scripts, embedded into
// the binary and served under content-hashed URLs so browsers and CDNs may
// cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed css img js
var files embed.FS

// Asset is one embedded file.
type Asset struct {
	Path        string // "css/herald.css"
	URL         string // "/static/3f2a9c01/css/herald.css"
	ContentType string
	Body        []byte
}

// Assets is the set of embedded files by path.
type Assets struct {
	byPath map[string]*Asset
	byURL  map[string]*Asset
}

// Load reads every embedded file and computes its URL under prefix
// ("/static").
func Load(prefix string) (*Assets, error) {
	a := &Assets{byPath: map[string]*Asset{}, byURL: map[string]*Asset{}}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		as := &Asset{Path: p, URL: prefix + "/" + hex.EncodeToString(sum[:5]) + "/" + p, ContentType: ct, Body: b}
		a.byPath[p] = as
		a.byURL[as.URL] = as
		return nil
	})
	return a, err
}

// URL returns the hashed URL of the file at p, or "" if there is none.
func (a *Assets) URL(p string) string {
	if as := a.byPath[strings.TrimPrefix(p, "/")]; as != nil {
		return as.URL
	}
	return ""
}

// ByURL returns the asset served at url, or nil.
func (a *Assets) ByURL(url string) *Asset { return a.byURL[url] }
