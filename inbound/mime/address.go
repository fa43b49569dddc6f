package mime

import (
	"fmt"
	stdmime "mime"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// from sets FromName and FromAddress.
func (p *parser) from(v string) {
	if strings.TrimSpace(v) == "" {
		p.problem("missing From")
		return
	}
	addrs, err := parseAddresses(v)
	if err != nil || len(addrs) == 0 {
		p.problem("unparsable From")
		return
	}
	p.msg.FromName = CleanLine(addrs[0].Name)
	p.msg.FromAddress = addrs[0].Address
}

// addressList returns the lower-cased addresses of the fields vs.
func (p *parser) addressList(key string, vs []string) []string {
	var out []string
	for _, v := range vs {
		addrs, err := parseAddresses(v)
		if err != nil {
			p.problem("unparsable %s", key)
		}
		for _, a := range addrs {
			if len(out) < maxAddresses {
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// parseAddresses reads an address list leniently: when it does not parse
// it takes whatever looks like an address.
func parseAddresses(v string) ([]*mail.Address, error) {
	ap := mail.AddressParser{WordDecoder: &stdmime.WordDecoder{CharsetReader: message.CharsetReader}}
	list, err := ap.ParseList(v)
	if err == nil {
		for _, a := range list {
			a.Address = strings.ToLower(a.Address)
		}
		return list, nil
	}
	var out []*mail.Address
	for _, id := range msgIDs(v) {
		if at := strings.IndexByte(id, '@'); at > 0 && at < len(id)-1 {
			out = append(out, &mail.Address{Address: strings.ToLower(id)})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == '<' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		w = strings.Trim(w, `"'()[]`)
		if at := strings.IndexByte(w, '@'); at > 0 && at < len(w)-1 && utf8.ValidString(w) {
			out = append(out, &mail.Address{Address: strings.ToLower(w)})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("address list: %w", err)
	}
	return out, nil
}

// msgIDs returns the first maxIDs ids in angle brackets in v, without the
// brackets.
func msgIDs(v string) []string {
	return scanIDs(v, maxIDs)
}

// lastIDs returns the last maxIDs ids in v: in References the newest ones
// matter most for threading.
func lastIDs(v string) []string {
	ids := scanIDs(v, 1<<20)
	return slices.Clip(ids[max(len(ids)-maxIDs, 0):])
}

// scanIDs returns at most n ids in angle brackets in v.
func scanIDs(v string, n int) []string {
	var out []string
	for len(out) < n {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := cleanID(v[i+1 : i+j]); id != "" {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	return out
}

// firstID returns the first message id in v; a bare id without brackets
// is accepted when it is one word with an @.
func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	v = strings.TrimSpace(v)
	if strings.Contains(v, "@") && !strings.ContainsAny(v, " \t<>") {
		return cleanID(v)
	}
	return ""
}

// cleanID returns id when it is a plausible message id, else "".
func cleanID(id string) string {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) {
		return ""
	}
	if strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return ""
	}
	return id
}
