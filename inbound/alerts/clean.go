package alerts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/herald-status/herald/status"
)

// PayloadError is why a payload was refused, worded for its sender: a
// hook answers it with HTTP 400 and Msg as the body.
type PayloadError struct {
	Msg string
}

// Error returns Msg.
func (e *PayloadError) Error() string { return e.Msg }

func refuse(format string, args ...any) *PayloadError {
	return &PayloadError{Msg: fmt.Sprintf(format, args...)}
}

// ellipsis marks a value that was cut.
const ellipsis = "…"

// quoteLen is how many bytes of a bad value an error message or a
// Problem quotes.
const quoteLen = 40

// decodeJSON decodes the whole of body into v: one JSON value and
// nothing after it but white space. Fields unknown to v are ignored.
// Errors are *PayloadError naming the byte (counted from 1) or the field, prefixed with
// path (e.g. "alerts[3].") for the fields.
func decodeJSON(body []byte, v any, path string) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if path == "" {
			return refuse("the body is empty: a JSON payload is needed")
		}
		return refuse("%s: is empty", strings.TrimSuffix(path, "."))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonError(err, body, path)
	}
	rest := body[dec.InputOffset():]
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) != 0 {
		at := dec.InputOffset() + int64(len(rest)-len(trimmed)) + 1 // counted from 1, like json.SyntaxError
		return refuse("malformed JSON at byte %d: data after the end of the JSON value", at)
	}
	return nil
}

// jsonError turns an encoding/json error into a *PayloadError.
func jsonError(err error, body []byte, path string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return refuse("malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return refuse("malformed JSON at byte %d: the body ends inside the JSON value", len(body))
	case errors.As(err, &typ):
		field := path + typ.Field
		if field == "" {
			return refuse("the payload must be %s, got %s", goKind(typ.Type), jsonKindName(typ.Value))
		}
		return refuse("%s: must be %s, got %s", strings.TrimSuffix(field, "."), goKind(typ.Type), jsonKindName(typ.Value))
	}
	var pe *PayloadError
	if errors.As(err, &pe) {
		return pe
	}
	return refuse("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// goKind names the JSON shape a Go type decodes from.
func goKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "another type"
}

// jsonKindName words encoding/json's name for a JSON value's kind.
func jsonKindName(v string) string {
	switch {
	case v == "array" || v == "object":
		return "an " + v
	case v == "number" || v == "string":
		return "a " + v
	case v == "bool":
		return "true or false"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	}
	return v
}

// rawKind names the kind of a JSON value.
func rawKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}

// rawText is the text of a scalar JSON value: a string's content, a
// number as written, "true" or "false". ok is false for objects and
// arrays; null is "" with present false.
func rawText(raw json.RawMessage) (text string, present, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false, true
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, false
		}
		return s, true, true
	case 'n':
		return "", false, true
	case '{', '[':
		return "", false, false
	}
	return string(raw), true, true
}

// textMap turns a JSON object of scalars into strings: numbers and
// booleans as their text, null as absent. field names the object in
// errors ("alerts[2].labels").
func textMap(m map[string]json.RawMessage, field string) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, raw := range m {
		s, present, ok := rawText(raw)
		if !ok {
			return nil, refuse("%s.%s: must be a string, got %s", field, quoteName(k), rawKind(raw))
		}
		if present {
			out[k] = s
		}
	}
	return out, nil
}

// quoteName quotes a name for an error message when it is not plain.
func quoteName(k string) string {
	if validName(k) {
		return k
	}
	return strconv.Quote(k)
}

// mender cleans the values of one alert and notes what it mended.
type mender struct {
	problems []string
}

func (m *mender) notef(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

// valid returns s as valid UTF-8 without NUL bytes or the space around
// it; mended reports that s had invalid bytes or NULs.
func valid(s string) (clean string, mended bool) {
	if !utf8.ValidString(s) {
		s, mended = strings.ToValidUTF8(s, "\uFFFD"), true
	}
	if strings.IndexByte(s, 0) >= 0 {
		s, mended = strings.ReplaceAll(s, "\x00", ""), true
	}
	return strings.TrimSpace(s), mended
}

// utf8Text returns s as valid UTF-8, noting a replacement. Strings that
// encoding/json decoded are valid already (see mangled); this is for
// alerts built by other callers.
func (m *mender) utf8Text(field, s string) string {
	if utf8.ValidString(s) {
		return s
	}
	m.notef("%s: invalid UTF-8 replaced by U+FFFD", field)
	return strings.ToValidUTF8(s, "\uFFFD")
}

// text cleans a free-text value of one or more lines: valid UTF-8, no
// control characters but line breaks and tabs, cut to limit bytes.
func (m *mender) text(field, s string, limit int) string {
	return m.clean(field, s, limit, true)
}

// title cleans a title into one line of at most MaxTitleLen bytes: no
// control characters, runs of space folded into one.
func (m *mender) title(field, s string) string {
	return m.clean(field, s, MaxTitleLen, false)
}

// clean does the work of text and title. A huge value is cut before it
// is cleaned: only its start can be kept.
func (m *mender) clean(field, s string, limit int, multiline bool) string {
	s = m.utf8Text(field, s)
	long := len(s) > 16*limit
	if long {
		s = status.Cut(s, 16*limit, "")
	}
	var ctl bool
	if multiline {
		s, ctl = withoutControls(s)
		s = strings.TrimSpace(s)
	} else {
		s, ctl = oneLine(s)
	}
	if ctl {
		m.notef("%s: control characters removed", field)
	}
	cutIt := long || len(s) > limit
	if long {
		// Only the start of a huge value is left: it ends in the
		// ellipsis even where it fits now.
		s = status.CutTrim(s, limit-len(ellipsis), "") + ellipsis
	} else {
		s = status.CutTrim(s, limit, ellipsis)
	}
	if cutIt {
		m.notef("%s cut to %d bytes", field, limit)
	}
	return s
}

// oneLine folds s into one line: control characters (NUL among them)
// become spaces, and runs of white space fold into one space. removed
// reports controls other than white space.
func oneLine(s string) (line string, removed bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			removed = true
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " "), removed
}

// withoutControls removes control characters (NUL among them) from s but
// line breaks and tabs; CR LF and CR become LF. removed reports what
// went beyond that.
func withoutControls(s string) (clean string, removed bool) {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) < 0 {
		return s, false
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			removed = true
			return -1
		}
		return r
	}, s)
	return s, removed
}

// mend makes an alert keep the promises of Alert when a caller other
// than the parsers built it, naming what it changed in Problems. An alert
// from a parser is left as it is.
func (a *Alert) mend() {
	m := &mender{}
	a.Title = m.title("title", a.Title)
	if a.Title == "" {
		a.Title = "Alert without a name"
		m.notef("no title")
	}
	a.Description = m.text("description", a.Description, MaxDescriptionLen)
	a.Severity = m.text("severity", a.Severity, MaxLabelValueLen)
	a.Labels = m.labels(a.Labels)
	a.Problems = append(a.Problems, m.problems...)
}

// key cleans an identifier; one longer than MaxKeyLen characters is
// replaced by its SHA-256.
func (m *mender) key(field, s string) string {
	s, nul := valid(m.utf8Text(field, s))
	if nul {
		m.notef("%s: NUL bytes removed", field)
	}
	if utf8.RuneCountInString(s) > MaxKeyLen {
		m.notef("%s longer than %d characters: replaced by its SHA-256", field, MaxKeyLen)
		return hashKey("sha256:", s)
	}
	return s
}

// hashKey is prefix followed by the hex SHA-256 of the parts written
// one after the other.
func hashKey(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return prefix + hex.EncodeToString(h.Sum(nil))
}

// labelLines is the labels as sorted "name=value" lines, for hashing.
func labelLines(labels map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(labels[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// labels cleans labels: names and values to valid UTF-8 within their
// limits, empty names dropped, at most MaxLabels kept (the first in
// name order).
func (m *mender) labels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, min(len(in), MaxLabels))
	var badEnc, nul, cutName, cutValue, empty bool
	for k, v := range in {
		badEnc = badEnc || !utf8.ValidString(k) || !utf8.ValidString(v)
		nul = nul || strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0
		name, _ := valid(k)
		value, _ := valid(v)
		if name == "" {
			empty = true
			continue
		}
		cutName = cutName || len(name) > MaxLabelNameLen
		cutValue = cutValue || len(value) > MaxLabelValueLen
		name = status.CutTrim(name, MaxLabelNameLen, ellipsis)
		value = status.CutTrim(value, MaxLabelValueLen, ellipsis)
		if old, dup := out[name]; dup && old <= value {
			continue // two names that clean to one: keep one, the same one each time
		}
		out[name] = value
	}
	if badEnc {
		m.notef("labels: invalid UTF-8 replaced by U+FFFD")
	}
	if nul {
		m.notef("labels: NUL bytes removed")
	}
	if empty {
		m.notef("labels: a label without a name dropped")
	}
	if cutName {
		m.notef("labels: names cut to %d bytes", MaxLabelNameLen)
	}
	if cutValue {
		m.notef("labels: values cut to %d bytes", MaxLabelValueLen)
	}
	if len(out) > MaxLabels {
		names := slices.Sorted(maps.Keys(out))
		for _, k := range names[MaxLabels:] {
			delete(out, k)
		}
		m.notef("labels: %d dropped, at most %d are kept", len(names)-MaxLabels, MaxLabels)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// link returns s if it is an absolute http or https URL with a host of
// at most MaxLinkLen characters, else "" (with a Problem naming field
// when s was not empty).
func (m *mender) link(field, s string) string {
	s, _ = valid(s)
	if s == "" {
		return ""
	}
	if l, ok := httpURL(s); ok {
		if utf8.RuneCountInString(l) > MaxLinkLen {
			m.notef("%s dropped: longer than %d characters", field, MaxLinkLen)
			return ""
		}
		return l
	}
	m.notef("%s dropped: not an http(s) URL", field)
	return ""
}

// httpURL reports whether s is an absolute http(s) URL with a host,
// and returns it with its scheme in lower case.
func httpURL(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	// url.Parse lower-cases the scheme; the string must start with it.
	if len(s) < len(u.Scheme)+3 || !strings.EqualFold(s[:len(u.Scheme)+3], u.Scheme+"://") {
		return "", false
	}
	return u.Scheme + s[len(u.Scheme):], true
}

// when parses an RFC 3339 time; "" and Alertmanager's
// "0001-01-01T00:00:00Z" are the zero time, and so is a bad time (with a
// Problem).
func (m *mender) when(field, s string) time.Time {
	s, _ = valid(s)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		m.notef("%s: not an RFC 3339 time: %q", field, status.CutTrim(s, quoteLen, ellipsis))
		return time.Time{}
	}
	if t.Year() <= 1 {
		return time.Time{}
	}
	return t.UTC()
}

// epoch reads a time given as a number since the Unix epoch: values
// above 1e15 are nanoseconds, above 1e12 milliseconds, else seconds.
// A bad value is the zero time with a Problem; null or 0 is zero.
func (m *mender) epoch(field string, raw json.RawMessage) time.Time {
	text, present, ok := rawText(raw)
	if !present && ok {
		return time.Time{}
	}
	text = strings.TrimSpace(text)
	f, err := strconv.ParseFloat(text, 64)
	if !ok || err != nil || f < 0 || f > 9.2e18 || f != f {
		m.notef("%s: not a time since the epoch: %q", field, status.CutTrim(text, quoteLen, ellipsis))
		return time.Time{}
	}
	if f == 0 {
		return time.Time{}
	}
	var t time.Time
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		switch {
		case n > 1e15:
			t = time.Unix(0, n)
		case n > 1e12:
			t = time.UnixMilli(n)
		default:
			t = time.Unix(n, 0)
		}
	} else {
		switch {
		case f > 1e15:
			t = time.Unix(0, int64(f))
		case f > 1e12:
			t = time.Unix(0, int64(f*1e6))
		default:
			t = time.Unix(0, int64(f*1e9))
		}
	}
	return t.UTC()
}

// mangled reports whether decoding the JSON text raw changes a string in
// it: encoding/json replaces invalid UTF-8, and \u escapes of lone
// surrogates, with U+FFFD without a word. It is quick when raw is
// clean, as it almost always is.
func mangled(raw []byte) bool {
	if !utf8.Valid(raw) {
		return true
	}
	for i := bytes.IndexByte(raw, '\\'); i >= 0 && i+1 < len(raw); {
		if raw[i+1] != 'u' {
			i = nextEscape(raw, i+2) // \" \\ \n …: the escaped byte is no escape itself
			continue
		}
		r, ok := hex4(raw, i+2)
		switch {
		case !ok:
			return true // not valid JSON either: the decoder says so
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := hex4(raw, i+8)
			if !ok || raw[i+6] != '\\' || raw[i+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i = nextEscape(raw, i+12)
		default:
			i = nextEscape(raw, i+6)
		}
	}
	return false
}

// nextEscape is the index of the next backslash in raw from i, or -1.
func nextEscape(raw []byte, i int) int {
	if i >= len(raw) {
		return -1
	}
	if j := bytes.IndexByte(raw[i:], '\\'); j >= 0 {
		return i + j
	}
	return -1
}

// hex4 reads the four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// mangledFields names, in Problems, the members of the JSON object raw
// whose strings decoding changed (see mangled), and within members that
// are objects themselves (labels, annotations) the members: prefix and
// "annotations.summary: invalid UTF-8 replaced by U+FFFD". Members named
// in skip are left alone (the payload's alerts, each named on its own).
func (m *mender) mangledFields(raw []byte, prefix string, skip ...string) {
	if !mangled(raw) {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		if slices.Contains(skip, k) || !mangled(v) {
			continue
		}
		name := prefix + quoteName(k)
		var inner map[string]json.RawMessage
		if rawKind(v) != "an object" || json.Unmarshal(v, &inner) != nil {
			m.notef("%s: invalid UTF-8 replaced by U+FFFD", name)
			continue
		}
		inName := false
		for _, ik := range slices.Sorted(maps.Keys(inner)) {
			if mangled(inner[ik]) {
				m.notef("%s.%s: invalid UTF-8 replaced by U+FFFD", name, quoteName(ik))
			}
			inName = inName || strings.ContainsRune(ik, utf8.RuneError)
		}
		if inName {
			m.notef("%s: invalid UTF-8 in a name replaced by U+FFFD", name)
		}
	}
}
