// Package templates holds Herald's html/template files for pages, console
// and emails, embedded into the binary, and the one Markdown renderer that
// every surface uses.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed layout/*.html partials/*.html public/*.html console/*.html
var files embed.FS

// layouts names each page directory's layout file; its entry template is
// named after the directory's layout ("base" or "console").
var layouts = map[string]string{"public": "layout/base.html", "console": "layout/console.html"}

// Set is a parsed collection of pages, each parsed with the layout and
// partials so that page-local blocks ("title", "content") do not collide.
type Set struct {
	pages map[string]*template.Template
}

// Parse builds one template per file under public/ (and later console/),
// each with layout/ and partials/. funcs adds to the built-in functions.
// It fails if any page does not parse.
func Parse(funcs template.FuncMap) (*Set, error) {
	return ParseFS(files, funcs)
}

// ParseFS is Parse over another file system (tests).
func ParseFS(fsys fs.FS, funcs template.FuncMap) (*Set, error) {
	all := template.FuncMap{"markdown": Markdown, "plaintext": PlainText}
	for k, v := range funcs {
		all[k] = v
	}
	partials, err := fs.Glob(fsys, "partials/*.html")
	if err != nil {
		return nil, err
	}
	s := &Set{pages: map[string]*template.Template{}}
	for dir, layout := range layouts {
		pages, err := fs.Glob(fsys, dir+"/*.html")
		if err != nil {
			return nil, err
		}
		for _, p := range pages {
			// The page comes last so its blocks ("title", "content")
			// override the layout's defaults.
			files := append(append([]string{layout}, partials...), p)
			t, err := template.New(path.Base(p)).Funcs(all).ParseFS(fsys, files...)
			if err != nil {
				return nil, fmt.Errorf("parse template %s: %w", p, err)
			}
			s.pages[p] = t
		}
	}
	return s, nil
}

// Render executes the page named name (for example "public/status.html")
// with its layout ("base" for public pages, "console" for console pages)
// into a buffer, so a failing template never sends a half page.
func (s *Set) Render(name string, data any) ([]byte, error) {
	t, ok := s.pages[name]
	if !ok {
		return nil, fmt.Errorf("no template %s", name)
	}
	layout := "base"
	if strings.HasPrefix(name, "console/") {
		layout = "console"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layout, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// Names lists the parsed pages.
func (s *Set) Names() []string {
	var out []string
	for n := range s.pages {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
