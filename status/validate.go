package status

import (
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Text limits, in bytes.
const (
	MaxNameLen  = 200
	MaxShortLen = 2000
	MaxBodyLen  = 32 * 1024
)

// checkText validates a text field: valid UTF-8, no NUL or other control
// characters (but tabs and newlines in multi-line text), at most max bytes,
// and not blank when required.
func checkText(f FieldErrors, field, v string, max int, required, multiline bool) {
	switch {
	case !utf8.ValidString(v):
		f.Add(field, "must be valid UTF-8 text")
	case required && strings.TrimSpace(v) == "":
		f.Add(field, "is required")
	case len(v) > max:
		f.Add(field, "is too long (at most "+itoa(max)+" bytes)")
	default:
		for _, r := range v {
			layout := multiline && (r == '\n' || r == '\r' || r == '\t')
			if r == 0 || (r < 0x20 && !layout) || r == 0x7f {
				f.Add(field, "must not contain control characters")
				return
			}
			if !multiline && isBidiControl(r) {
				f.Add(field, "must not contain text-direction controls (such as U+202E), which turn the text around where it is shown")
				return
			}
		}
	}
}

// isBidiControl reports whether r is a bidirectional embedding, override
// or isolate control (U+202A–U+202E, U+2066–U+2069): invisible characters
// that turn the text after them around (the "Trojan Source" trick).
func isBidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// hasBidiControl reports whether s holds a bidirectional control.
func hasBidiControl(s string) bool { return strings.IndexFunc(s, isBidiControl) >= 0 }

// stripBidiControls removes bidirectional controls from one-line text that
// comes from outside (mail subjects, alert titles), where refusing it
// would lose the message.
func stripBidiControls(s string) string {
	if !hasBidiControl(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBidiControl(r) {
			return -1
		}
		return r
	}, s)
}

// IsolateDirection wraps text holding bidirectional controls in FIRST
// STRONG ISOLATE … POP DIRECTIONAL ISOLATE, so that it cannot turn the text
// around it (plain text, titles, options); other text is returned as is.
func IsolateDirection(s string) string {
	if !hasBidiControl(s) {
		return s
	}
	return "\u2068" + s + "\u2069"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

var slugPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// hostPattern accepts a DNS host name, optionally with a port.
var hostPattern = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::[0-9]{1,5})?$`)

func checkSlug(f FieldErrors, field, v string) {
	if !slugPattern.MatchString(v) {
		f.Add(field, "must be 1–63 lowercase letters, digits or dashes, not starting or ending with a dash")
	}
}

func checkHost(f FieldErrors, field, v string) {
	if len(v) > 253 || !hostPattern.MatchString(v) {
		f.Add(field, "must be a host name such as status.example.com")
	}
}

func checkTimeZone(f FieldErrors, field, v string) {
	if v == "" || v == "Local" {
		f.Add(field, "must be an IANA time zone such as Europe/Berlin")
		return
	}
	if _, err := time.LoadLocation(v); err != nil {
		f.Add(field, "is not a known IANA time zone")
	}
}

func checkEmail(f FieldErrors, field, v string) {
	if v == "" {
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 {
		f.Add(field, "must be an email address such as support@example.com")
	}
}

func checkURL(f FieldErrors, field, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(v) > MaxShortLen {
		f.Add(field, "must be an http or https URL")
	}
}

func checkID(f FieldErrors, field, v string) {
	if !ValidID(v) {
		f.Add(field, "is not a valid id")
	}
}
