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

// AtMost returns a *FieldError when v is above limit, the setting's
// documented upper bound. Every numeric setting has one, checked when the
// configuration is validated, so that a number that would exhaust memory
// or goroutines when the output starts (a queue allocated up front, a
// worker per unit) is an error naming the field instead.
func AtMost[N ~int | ~int64](field string, v, limit N) error {
	if v > limit {
		return Errorf(field, "%d is above the maximum %d", v, limit)
	}
	return nil
}

// DurationAtMost is AtMost for a duration, written as the configuration
// writes it ("5m").
func DurationAtMost[D interface {
	~int64
	String() string
}](field string, v, limit D) error {
	if v > limit {
		return Errorf(field, "%q is above the maximum %q", v.String(), limit.String())
	}
	return nil
}
