package sink

import (
	"errors"
	"fmt"
	"strings"
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

// MaxProblems is how many problems a configuration error lists; the rest
// are counted (see JoinProblems). A document of thousands of mistakes
// needs its first few fixed, not a message of megabytes.
const MaxProblems = 20

// MoreProblems stands, in a configuration error, for the problems beyond
// MaxProblems that it does not list.
type MoreProblems struct{ N int }

func (e *MoreProblems) Error() string {
	if e.N == 1 {
		return "and 1 more problem"
	}
	return fmt.Sprintf("and %d more problems", e.N)
}

// JoinProblems joins the problems in errs, one line each, keeping the
// first MaxProblems and a MoreProblems counting the others.
func JoinProblems(errs ...error) error {
	var probs []error
	more := 0
	for _, err := range errs {
		for _, p := range Problems(err) {
			var m *MoreProblems
			switch {
			case errors.As(p, &m):
				more += m.N
			case len(probs) < MaxProblems:
				probs = append(probs, p)
			default:
				more++
			}
		}
	}
	if more > 0 {
		probs = append(probs, &MoreProblems{N: more})
	}
	return errors.Join(probs...)
}

// Problems lists the individual problems in err: the members of joined
// errors (errors.Join), each under the path of any *FieldError it is
// nested in.
func Problems(err error) []error { return appendProblems(nil, err) }

func appendProblems(out []error, err error) []error {
	if err == nil {
		return out
	}
	var fe *FieldError
	if errors.As(err, &fe) && error(fe) == err {
		if _, joined := fe.Err.(interface{ Unwrap() []error }); !joined {
			return append(out, err)
		}
		start := len(out)
		out = appendProblems(out, fe.Err)
		for i := start; i < len(out); i++ {
			out[i] = AtPath(fe.Path, out[i])
		}
		return out
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = appendProblems(out, e)
		}
		return out
	}
	return append(out, err)
}

// JoinUnreported joins to reported the problems of more that are not at
// or below a path reported names (nor repeat one of its messages): the
// checks a configuration gets after decoding (Validate) see a field that
// failed to decode as unset, and would report it again as missing.
func JoinUnreported(reported, more error) error {
	if more == nil {
		return reported
	}
	if reported == nil {
		return more
	}
	have := Problems(reported)
	paths := map[string]bool{}
	texts := map[string]bool{}
	for _, p := range have {
		var fe *FieldError
		if errors.As(p, &fe) {
			paths[fe.Path] = true
		} else {
			texts[p.Error()] = true
		}
	}
	covered := func(path string) bool {
		for {
			if paths[path] {
				return true
			}
			i := strings.LastIndexAny(path, ".[")
			if i <= 0 {
				return false
			}
			path = path[:i]
		}
	}
	out := have
	for _, p := range Problems(more) {
		var fe *FieldError
		if errors.As(p, &fe) && covered(fe.Path) || fe == nil && texts[p.Error()] {
			continue
		}
		out = append(out, p)
	}
	return errors.Join(out...)
}
