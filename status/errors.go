package status

import (
	"errors"
	"fmt"
)

// Kind classifies an Error for callers deciding how to answer.
type Kind int

// The zero Kind means internal: the error's text must not reach a client.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindForbidden
	KindUnauthorized
)

// Error is an error whose Message is safe to show to the person who caused
// it. Fields, when set, maps input field names to what is wrong with each.
type Error struct {
	Kind    Kind
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s: %v", e.Message, e.Fields)
}

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of the first *Error in err's chain, or
// KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Message returns the safe message of err, or "" if it is internal.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Kind != KindInternal {
		return e.Message
	}
	return ""
}

// FieldErrors collects per-field validation problems.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// fieldsNotValid is the Message of every KindInvalid error that names
// its fields; the fields say what is wrong.
const fieldsNotValid = "Some fields are not valid."

// Err returns nil if there are no problems, or a KindInvalid *Error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Message: fieldsNotValid, Fields: f}
}

// FieldError returns the KindInvalid *Error for one field's problem: the
// error FieldErrors{field: msg}.Err() returns, for a check made on its own
// (often inside a transaction, against stored data).
func FieldError(field, msg string) error {
	return FieldErrors{field: msg}.Err()
}
