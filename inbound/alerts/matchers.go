package alerts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/herald-status/herald/status"
)

// Limits on a list of matchers.
const (
	// MaxMatchers is the most matchers one list may hold.
	MaxMatchers = 20
	// MaxMatchersLen is the longest a list of matchers may be, in bytes.
	MaxMatchersLen = 1000
)

// Matcher is one Prometheus-style label matcher: a label Name, an Op
// ("=", "!=", "=~" or "!~") and a Value, a regular expression for the
// last two, anchored at both ends as in Prometheus.
type Matcher struct {
	Name, Op, Value string
	re              *regexp.Regexp
}

// Matchers is a list of matchers that all must match.
type Matchers []Matcher

// Matches reports whether the label value v (with "" for a missing
// label) satisfies m.
func (m Matcher) Matches(v string) bool {
	switch m.Op {
	case "=":
		return v == m.Value
	case "!=":
		return v != m.Value
	case "=~", "!~":
		re := m.re
		if re == nil {
			var err error
			if re, err = regexp.Compile(anchor(m.Value)); err != nil {
				return false
			}
		}
		return re.MatchString(v) == (m.Op == "=~")
	}
	return false
}

// String returns m as it is written: service="postgres", with the value
// quoted as by strconv.Quote and the name quoted when it is not a plain
// label name.
func (m Matcher) String() string {
	name := m.Name
	if !validName(name) {
		name = strconv.Quote(name)
	}
	return name + m.Op + strconv.Quote(m.Value)
}

// Matches reports whether labels satisfy every matcher; a missing label
// is the empty string, so env!="prod" matches an alert without env, and
// env="" matches only such alerts (or those where env is empty).
func (ms Matchers) Matches(labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// String returns the canonical form of ms, the matchers separated by
// ", ": service="postgres", env=~"prod|staging". ParseMatchers reads it
// back to the same matchers.
func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

func anchor(re string) string { return "^(?:" + re + ")$" }

// validName reports whether s is a plain label name:
// [a-zA-Z_][a-zA-Z0-9_:]*.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && (c == ':' || '0' <= c && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// unquotedValue reports whether c may be part of a value written
// without quotes.
func unquotedValue(c byte) bool {
	return c == '_' || c == '.' || c == '-' || c == '/' || c == ':' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// ParseMatchers reads a comma-separated list of Prometheus-style label
// matchers, optionally wrapped in braces:
//
//	service="postgres", env=~"prod|staging", team!="web", host!~"test-.*"
//
// Values are double-quoted with Go escapes (\" \\ \n), or written bare
// when made of letters, digits and _ . - / :. Names are label names
// ([a-zA-Z_][a-zA-Z0-9_:]*, so "tag:db" is one), or double-quoted for
// any other name ("tag:on-call"="true"). Regular expressions match the
// whole value. At least one and at most MaxMatchers matchers are
// needed, in at most MaxMatchersLen bytes; a trailing comma is allowed.
func ParseMatchers(s string) (Matchers, error) {
	if len(s) > MaxMatchersLen {
		return nil, fmt.Errorf("matchers are %d bytes long, at most %d", len(s), MaxMatchersLen)
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("matchers are not valid UTF-8")
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f }); i >= 0 {
		return nil, fmt.Errorf("at byte %d: control character %q in matchers (write it as an escape inside quotes)", i, s[i])
	}
	p := &matcherParser{s: s}
	p.space()
	end := len(s)
	if p.peek() == '{' {
		t := strings.TrimRight(s, " \t\r\n")
		if !strings.HasSuffix(t, "}") {
			return nil, fmt.Errorf("at byte %d: the '{' is not closed by a '}' at the end", p.i)
		}
		p.i++
		end = len(t) - 1
	}
	p.s = s[:end]
	var ms Matchers
	for {
		p.space()
		if p.i >= len(p.s) {
			break
		}
		if len(ms) == MaxMatchers {
			return nil, fmt.Errorf("too many matchers: more than %d", MaxMatchers)
		}
		m, err := p.matcher(len(ms) + 1)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
		p.space()
		if p.i >= len(p.s) {
			break
		}
		if p.peek() != ',' {
			return nil, fmt.Errorf("at byte %d: expected ',' after matcher %d (%s), got %q", p.i, len(ms), m, p.rest())
		}
		p.i++
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("at least one matcher is needed, like service=\"postgres\"")
	}
	return ms, nil
}

type matcherParser struct {
	s string
	i int
}

func (p *matcherParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *matcherParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

// rest is what follows the position, shortened, for error messages.
func (p *matcherParser) rest() string {
	return status.CutTrim(p.s[p.i:], 20, ellipsis)
}

// quoted reads a double-quoted string at the position.
func (p *matcherParser) quoted(what string) (string, error) {
	start := p.i
	for j := start + 1; j < len(p.s); j++ {
		switch p.s[j] {
		case '\\':
			j++
		case '"':
			v, err := strconv.Unquote(p.s[start : j+1])
			if err != nil {
				return "", fmt.Errorf("at byte %d: bad escape in the quoted %s %s", start, what, p.s[start:j+1])
			}
			p.i = j + 1
			return v, nil
		}
	}
	return "", fmt.Errorf("at byte %d: the quoted %s is not closed by a '\"'", start, what)
}

func (p *matcherParser) matcher(n int) (Matcher, error) {
	var m Matcher
	at := p.i
	if p.peek() == '"' {
		name, err := p.quoted("label name")
		if err != nil {
			return m, err
		}
		if name == "" {
			return m, fmt.Errorf("at byte %d: matcher %d has an empty label name", at, n)
		}
		m.Name = name
	} else {
		for p.i < len(p.s) && (validName(p.s[at : p.i+1])) {
			p.i++
		}
		if p.i == at {
			return m, fmt.Errorf("at byte %d: matcher %d must start with a label name like service, got %q", at, n, p.rest())
		}
		m.Name = p.s[at:p.i]
	}
	p.space()
	at = p.i
	switch {
	case strings.HasPrefix(p.s[p.i:], "=~"), strings.HasPrefix(p.s[p.i:], "!="), strings.HasPrefix(p.s[p.i:], "!~"):
		m.Op = p.s[p.i : p.i+2]
	case p.peek() == '=':
		m.Op = "="
	default:
		return m, fmt.Errorf("at byte %d: expected an operator (=, !=, =~ or !~) after %q, got %q", at, m.Name, p.rest())
	}
	p.i += len(m.Op)
	p.space()
	at = p.i
	if p.peek() == '"' {
		v, err := p.quoted("value")
		if err != nil {
			return m, err
		}
		m.Value = v
	} else {
		for p.i < len(p.s) && unquotedValue(p.s[p.i]) {
			p.i++
		}
		if p.i == at {
			return m, fmt.Errorf("at byte %d: expected a value after %s%s, quoted like \"postgres\", got %q", at, m.Name, m.Op, p.rest())
		}
		m.Value = p.s[at:p.i]
	}
	for _, v := range []string{m.Name, m.Value} {
		if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			return m, fmt.Errorf("matcher %d (%s): holds a NUL byte or invalid UTF-8", n, m)
		}
	}
	if m.Op == "=~" || m.Op == "!~" {
		re, err := regexp.Compile(anchor(m.Value))
		if err != nil {
			return m, fmt.Errorf("matcher %d (%s): bad regular expression: %w", n, m, err)
		}
		m.re = re
	}
	return m, nil
}
