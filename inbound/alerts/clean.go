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
	"unicode/utf8"
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

// cut returns s if it has at most n characters, else its first
// characters followed by an ellipsis, n characters in all.
func cut(s string, n int) (string, bool) {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s, false
	}
	i, count := 0, 0
	for i < len(s) && count < n-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return strings.TrimSpace(s[:i]) + ellipsis, true
}

// text cleans a free-text value and cuts it to limit characters.
func (m *mender) text(field, s string, limit int) string {
	s, mended := valid(s)
	if mended {
		m.notef("%s: invalid UTF-8 or NUL bytes removed", field)
	}
	s, cutIt := cut(s, limit)
	if cutIt {
		m.notef("%s cut to %d characters", field, limit)
	}
	return s
}

// title cleans a title into one line of at most MaxTitleLen characters.
func (m *mender) title(field, s string) string {
	s, mended := valid(s)
	if mended {
		m.notef("%s: invalid UTF-8 or NUL bytes removed", field)
	}
	// Only the start can be kept: spare strings.Fields a huge string.
	s, long := cut(s, 16*MaxTitleLen)
	s = strings.Join(strings.Fields(s), " ")
	s, cutIt := cut(s, MaxTitleLen)
	if long && !cutIt {
		s, _ = cut(strings.TrimSuffix(s, ellipsis)+strings.Repeat(" ", MaxTitleLen), MaxTitleLen)
		cutIt = true
	}
	if cutIt {
		m.notef("title cut to %d characters", MaxTitleLen)
	}
	return s
}

// key cleans an identifier; one longer than MaxKeyLen characters is
// replaced by its SHA-256.
func (m *mender) key(field, s string) string {
	s, mended := valid(s)
	if mended {
		m.notef("%s: invalid UTF-8 or NUL bytes removed", field)
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
	var mendedEnc, cutName, cutValue, empty bool
	for k, v := range in {
		name, mn := valid(k)
		value, mv := valid(v)
		mendedEnc = mendedEnc || mn || mv
		if name == "" {
			empty = true
			continue
		}
		var c bool
		if name, c = cut(name, MaxLabelNameLen); c {
			cutName = true
		}
		if value, c = cut(value, MaxLabelValueLen); c {
			cutValue = true
		}
		if old, dup := out[name]; dup && old <= value {
			continue // two names that clean to one: keep one, the same one each time
		}
		out[name] = value
	}
	if mendedEnc {
		m.notef("labels: invalid UTF-8 or NUL bytes removed")
	}
	if empty {
		m.notef("labels: a label without a name dropped")
	}
	if cutName {
		m.notef("labels: names cut to %d characters", MaxLabelNameLen)
	}
	if cutValue {
		m.notef("labels: values cut to %d characters", MaxLabelValueLen)
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
		q, _ := cut(s, 40)
		m.notef("%s: not an RFC 3339 time: %q", field, q)
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
		q, _ := cut(text, 40)
		m.notef("%s: not a time since the epoch: %q", field, q)
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
