package sink

import (
	"errors"
	"fmt"
)

// FieldError is a configuration error tied to a field path, such as
// "webhook_outputs[1].url". Kinds return it from validation with the path
// inside their own configuration ("url"); the recorder prefixes the kind
// and list index.
type FieldError struct {
	Path string
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// Errorf returns a *FieldError for field with a formatted message. Put the
// offending value in the message (with %q), never a secret.
func Errorf(field, format string, args ...any) error {
	return &FieldError{Path: field, Err: fmt.Errorf(format, args...)}
}

// AtPath prefixes err with a path: a *FieldError's path becomes
// prefix.path (or prefix[i] when path starts with "["), anything else
// becomes a *FieldError at prefix.
func AtPath(prefix string, err error) error {
	if err == nil {
		return nil
	}
	// Each of several joined problems gets the prefix, so every line of
	// the message carries its full path.
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range joined.Unwrap() {
			errs = append(errs, AtPath(prefix, e))
		}
		return errors.Join(errs...)
	}
	var fe *FieldError
	if errors.As(err, &fe) && fe == err {
		sep := "."
		if len(fe.Path) > 0 && fe.Path[0] == '[' {
			sep = ""
		}
		return &FieldError{Path: prefix + sep + fe.Path, Err: fe.Err}
	}
	return &FieldError{Path: prefix, Err: err}
}
