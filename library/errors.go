package library

import (
	"errors"
	"fmt"
	"strings"
)

// Code says what kind of failure an Error is; callers branch on it (the
// console turns CodeForbidden into 403 and CodeConflict into 409).
type Code string

const (
	CodeInvalid   Code = "invalid"   // the entry breaks a check; Problems lists how
	CodeNotFound  Code = "not_found" // no such entry
	CodeConflict  Code = "conflict"  // saved over a newer version; Current is it
	CodeForbidden Code = "forbidden" // the account's role may not do this
)

// Error is the one error type of the library.
type Error struct {
	Code     Code
	Message  string
	Problems []string // CodeInvalid: every problem found
	Current  *Entry   // CodeConflict: the newer version saved meanwhile
}

func (e *Error) Error() string {
	if len(e.Problems) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s:\n  - %s", e.Message, strings.Join(e.Problems, "\n  - "))
}

// Is matches errors of the same code, so errors.Is(err, &Error{Code: CodeConflict}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the code of err if it is (or wraps) an *Error, else "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
