package main

import (
	"bufio"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds every sample of every benchmark of a run, by group,
// benchmark name and unit.
type results map[sel][]float64

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse adds the benchmark lines of go test output to r: a name, an
// iteration count, then value-unit pairs. Everything else (headers, PASS,
// logs) is skipped.
func (r results) parse(groupID string, out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(f[0], "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			k := sel{Group: groupID, Name: name, Unit: f[i+1]}
			r[k] = append(r[k], v)
		}
	}
}

// median of the samples of k, NaN when there are none.
func (r results) median(k sel) float64 {
	v := slices.Clone(r[k])
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if n := len(v); n%2 == 1 {
		return v[n/2]
	} else {
		return (v[n/2-1] + v[n/2]) / 2
	}
}

// evaluation is a figure with its numbers filled in.
type evaluation struct {
	figure
	Subject, Baseline, Ratio float64 // NaN when missing
	N                        int     // samples of the subject
}

// Result is PASS, MISS, "—" (no target) or MISSING (no samples).
func (e evaluation) Result() string {
	v := e.Subject
	if e.figure.Baseline != nil && !e.TargetSubject {
		v = e.Ratio
	}
	switch {
	case math.IsNaN(v):
		return "MISSING"
	case e.Target == nil:
		return "—"
	case e.Target.met(v):
		return "PASS"
	}
	return "MISS"
}

func evaluate(r results, figs []figure) []evaluation {
	out := make([]evaluation, 0, len(figs))
	for _, f := range figs {
		e := evaluation{figure: f, Subject: r.median(f.Subject), Baseline: math.NaN(), Ratio: math.NaN(), N: len(r[f.Subject])}
		if f.Baseline != nil {
			e.Baseline = r.median(*f.Baseline)
			switch {
			case math.IsNaN(e.Subject) || math.IsNaN(e.Baseline):
			case e.Subject == 0 && e.Baseline == 0:
				e.Ratio = 1 // both free: neither is ahead
			default:
				e.Ratio = f.Ratio(e.Subject, e.Baseline)
			}
		}
		out = append(out, e)
	}
	return out
}
