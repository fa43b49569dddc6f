package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// apiBodyLimit is the largest admin API request body.
const apiBodyLimit = 64 * 1024

// decodeJSON reads the request body into dst strictly: JSON object only,
// valid UTF-8, at most apiBodyLimit bytes, no unknown fields, right types.
// Problems come back as specific 4xx errors naming the fields.
func decodeJSON(c *fiber.Ctx, dst any) error {
	body := c.Body()
	switch {
	case len(body) > apiBodyLimit:
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("The body is larger than %d KiB.", apiBodyLimit/1024))
	case !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationJSON):
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "Send the body as application/json.")
	case len(bytes.TrimSpace(body)) == 0:
		return fiber.NewError(fiber.StatusBadRequest, "The body is empty; send a JSON object.")
	case !utf8.Valid(body):
		return fiber.NewError(fiber.StatusBadRequest, "The body is not valid UTF-8.")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The body is not valid JSON (at byte %d).", se.Offset))
		}
		return fiber.NewError(fiber.StatusBadRequest, "The body must be a JSON object.")
	}
	fields := status.FieldErrors{}
	checkKnownFields(fields, "", raw, reflect.TypeOf(dst).Elem())
	if err := fields.Err(); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			fields.Add(te.Field, "must be "+jsonTypeName(te.Type))
			return fields.Err()
		}
		return fiber.NewError(fiber.StatusBadRequest, "The body is not valid JSON.")
	}
	return nil
}

// checkKnownFields reports keys of obj that struct type t does not have,
// and does the same inside nested objects and lists of objects, naming
// them by path ("components[1].x"). Values of the wrong shape are left
// for the decoder to report.
func checkKnownFields(f status.FieldErrors, prefix string, obj map[string]json.RawMessage, t reflect.Type) {
	known := jsonFields(t)
	for k, v := range obj {
		ft, ok := known[k]
		if !ok {
			f.Add(prefix+k, "is not a known field")
			continue
		}
		checkNested(f, prefix+k, v, ft)
	}
}

// checkNested checks the value at path, of Go type t, for unknown fields.
func checkNested(f status.FieldErrors, path string, v json.RawMessage, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]()) {
		return // decodes itself (optional[T], time.Time)
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) == nil {
			checkKnownFields(f, path+".", obj, t)
		}
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if json.Unmarshal(v, &items) == nil {
			for i, item := range items {
				checkNested(f, fmt.Sprintf("%s[%d]", path, i), item, t.Elem())
			}
		}
	}
}

// jsonFields returns the JSON names of t's fields and their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = t.Field(i).Type
		}
	}
	return out
}

func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "of another type"
}

// parseTime parses an optional RFC 3339 time field.
func parseTime(f status.FieldErrors, field string, v *string) *time.Time {
	if v == nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339, *v)
	if err != nil {
		f.Add(field, "must be a time such as 2026-01-02T15:04:05Z")
		return nil
	}
	return &t
}

// requireFields reports missing required fields (nil pointers) by name.
func requireFields(f status.FieldErrors, present map[string]bool) {
	names := make([]string, 0, len(present))
	for n := range present {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !present[n] {
			f.Add(n, "is required")
		}
	}
}
