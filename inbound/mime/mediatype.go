package mime

import (
	"errors"
	stdmime "mime"
	"net/url"
	"strings"
)

// contentType returns the entity's lower-case media type and parameters,
// with the RFC 2046 defaults when it has none.
func (p *parser) contentType(h header, parent string) (string, map[string]string) {
	v := h.get("Content-Type")
	def := "text/plain"
	if parent == "multipart/digest" {
		def = "message/rfc822"
	}
	if strings.TrimSpace(v) == "" {
		return def, map[string]string{}
	}
	t, params, err := stdmime.ParseMediaType(v)
	if err != nil && !errors.Is(err, stdmime.ErrInvalidMediaParameter) {
		t, params = lenientMediaType(v)
		if t == "" {
			p.problem("unparsable Content-Type %q", capUTF8(v, 100))
			return def, params
		}
	}
	if params == nil {
		params = map[string]string{}
	}
	return strings.ToLower(t), params
}

// lenientMediaType reads "type/subtype; a=b; ..." ignoring what is broken.
func lenientMediaType(v string) (string, map[string]string) {
	params := map[string]string{}
	fields := strings.Split(v, ";")
	t := strings.ToLower(strings.TrimSpace(fields[0]))
	if strings.Count(t, "/") != 1 || strings.ContainsAny(t, " \t\"") {
		t = ""
	}
	for _, f := range fields[1:] {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if _, dup := params[k]; !dup && k != "" {
			params[k] = val
		}
	}
	return t, params
}

// disposition returns the lower-case disposition ("" when there is none)
// and the file name from Content-Disposition or Content-Type.
func (p *parser) disposition(h header, ctParams map[string]string) (string, string) {
	v := h.get("Content-Disposition")
	disp, params := "", map[string]string{}
	if strings.TrimSpace(v) != "" {
		d, ps, err := stdmime.ParseMediaType(v)
		if err != nil && !errors.Is(err, stdmime.ErrInvalidMediaParameter) {
			d, ps = lenientDisposition(v)
		}
		disp, params = strings.ToLower(d), ps
	}
	name := params["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	if name == "" {
		name = p.rfc2231Name(h.get("Content-Disposition"), "filename*")
	}
	if name == "" {
		name = p.rfc2231Name(h.get("Content-Type"), "name*")
	}
	return disp, p.decodeWords(name)
}

// rfc2231Name decodes an RFC 2231 parameter such as
// filename*=iso-8859-1”r%E9sum%E9.pdf in a charset the standard library
// leaves out (it only knows UTF-8 and US-ASCII).
func (p *parser) rfc2231Name(v, key string) string {
	_, params := lenientMediaType("x/x;" + v)
	cs, rest, ok := strings.Cut(params[key], "'")
	if !ok {
		return ""
	}
	_, enc, ok := strings.Cut(rest, "'")
	if !ok {
		return ""
	}
	raw, err := url.PathUnescape(enc)
	if err != nil {
		return ""
	}
	return p.decodeCharset(cs, raw)
}

// lenientDisposition reads a broken Content-Disposition.
func lenientDisposition(v string) (string, map[string]string) {
	d, _, _ := strings.Cut(v, ";")
	_, params := lenientMediaType("x/x;" + v)
	return strings.ToLower(strings.TrimSpace(d)), params
}
