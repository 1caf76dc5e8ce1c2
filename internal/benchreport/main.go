// Command benchreport runs the benchmark suite and writes BENCHMARKS.md; it
// is what `make bench` runs.
//
// Every figure of the suite is a ratio against a baseline measured in the
// same run, because the machines it runs on are shared and noisy. To keep
// the two sides of each ratio close in time, benchreport builds each
// package's test binary once and then runs every group of benchmarks once
// per round, round after round (-count rounds), rather than running one
// group -count times in a row: a burst of load from elsewhere then lands on
// a round of every group, not on all samples of one side. benchstat
// summarises each group; the summary compares medians with the targets of
// the performance issue. It also profiles the file pipeline and the
// network outputs (CPU and allocations) and includes the top of each
// profile.
//
// Usage, from anywhere in the module:
//
//	go run ./internal/benchreport [-count 6] [-o BENCHMARKS.md] [-profile=false] [-dir DIR] [-only REGEXP]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.count, "count", 6, "rounds: how many samples of each benchmark")
	flag.StringVar(&o.out, "o", "BENCHMARKS.md", "the report to write, relative to the module root")
	flag.BoolVar(&o.profile, "profile", true, "profile the file pipeline and the network outputs and include the top of the CPU and allocation profiles")
	flag.StringVar(&o.dir, "dir", "", "keep the test binaries, raw outputs and profiles in this directory (default: a temporary one, removed)")
	flag.StringVar(&o.only, "only", "", "run only the groups whose ID matches this regexp (the report says which ran)")
	flag.Parse()
	if flag.NArg() > 0 || o.count < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

type options struct {
	count   int
	out     string
	profile bool
	dir     string
	only    string
}

// runTimeout bounds one benchmark binary run; a run that hangs is killed
// and reported, and the suite goes on.
const runTimeout = 10 * time.Minute

// failure is a build or run that did not succeed.
type failure struct {
	What   string
	Err    error
	Output string // the end of what it printed
}

// report is everything BENCHMARKS.md shows.
type report struct {
	Machine    machine
	Rounds     int
	Groups     []group
	Only       string
	Tables     map[string][]string // group ID → benchstat output per view
	Figures    []evaluation
	Profiles   []*profile // in the order of profileRuns; nil where not run
	Failures   []failure
	Took       time.Duration
	LoadBefore string
	LoadAfter  string
}

type profile struct {
	Title       string
	Command     string
	Benchmark   string // the benchmark's result line
	CPU, CPUCum string // pprof -top output
	Alloc       string
	AllocObj    string
}

func run(o options) error {
	start := time.Now()
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	groups := suite
	if o.only != "" {
		re, err := regexp.Compile(o.only)
		if err != nil {
			return fmt.Errorf("-only: %w", err)
		}
		groups = nil
		for _, g := range suite {
			if re.MatchString(g.ID) {
				groups = append(groups, g)
			}
		}
		if len(groups) == 0 {
			return fmt.Errorf("-only %q matches no group", o.only)
		}
	}
	work := o.dir
	if work == "" {
		if work, err = os.MkdirTemp("", "benchreport-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if work, err = filepath.Abs(work); err != nil {
		return err
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}

	rep := &report{Rounds: o.count, Groups: groups, Only: o.only, Tables: map[string][]string{}}
	rep.Machine = describeMachine(root)
	rep.LoadBefore = loadAverage()

	// Build every test binary first, so that compiling never overlaps a
	// measurement.
	bins := map[string]string{}
	pkgs := []string{}
	for _, g := range groups {
		pkgs = append(pkgs, g.Pkg)
	}
	if o.profile {
		for _, pr := range profileRuns {
			pkgs = append(pkgs, pr.Pkg)
		}
	}
	for _, pkg := range pkgs {
		if _, done := bins[pkg]; done {
			continue
		}
		bin := filepath.Join(work, strings.NewReplacer("./", "", "/", "_").Replace(pkg)+".test")
		logf("building %s", pkg)
		if out, err := command(root, "go", "test", "-c", "-o", bin, pkg); err != nil {
			rep.Failures = append(rep.Failures, failure{What: "go test -c " + pkg, Err: err, Output: tail(out)})
			bins[pkg] = ""
			continue
		}
		bins[pkg] = bin
	}
	// benchstat is pinned in the gen module, which holds the build tools so
	// that library users do not inherit them; build it from there.
	benchstat := filepath.Join(work, "benchstat")
	if out, err := command(filepath.Join(root, "gen"), "go", "build", "-o", benchstat, "golang.org/x/perf/cmd/benchstat"); err != nil {
		return fmt.Errorf("building benchstat: %v\n%s", err, out)
	}

	raw := map[string]*bytes.Buffer{}
	for _, g := range groups {
		raw[g.ID] = &bytes.Buffer{}
	}
	for round := 1; round <= o.count; round++ {
		for _, g := range groups {
			bin := bins[g.Pkg]
			if bin == "" || (g.MaxRounds > 0 && round > g.MaxRounds) {
				continue
			}
			t0 := time.Now()
			out, err := command(filepath.Join(root, g.Pkg), bin, testArgs(g.Bench, g.Benchtime)...)
			logf("round %d/%d  %-12s %6.1fs", round, o.count, g.ID, time.Since(t0).Seconds())
			raw[g.ID].Write(out)
			if err != nil {
				rep.Failures = append(rep.Failures, failure{What: fmt.Sprintf("round %d: %s", round, goTestCommand(g)), Err: err, Output: tail(out)})
			}
		}
	}

	res := results{}
	for _, g := range groups {
		path := filepath.Join(work, g.ID+".txt")
		if err := os.WriteFile(path, raw[g.ID].Bytes(), 0o644); err != nil {
			return err
		}
		res.parse(g.ID, bytes.NewReader(raw[g.ID].Bytes()))
		for _, v := range g.Views {
			out, err := command(work, benchstat, benchstatArgs(v, g.ID+".txt")...)
			if err != nil {
				out = fmt.Appendf(out, "\nbenchstat failed: %v", err)
			}
			rep.Tables[g.ID] = append(rep.Tables[g.ID], strings.TrimRight(string(out), "\n"))
		}
	}
	figs := figures
	if o.only != "" {
		figs = nil
		for _, f := range figures {
			for _, g := range groups {
				if f.Subject.Group == g.ID {
					figs = append(figs, f)
				}
			}
		}
	}
	rep.Figures = evaluate(res, figs)

	if o.profile {
		for i, pr := range profileRuns {
			if bins[pr.Pkg] == "" {
				rep.Profiles = append(rep.Profiles, nil)
				continue
			}
			p, err := profileRunOf(root, work, bins[pr.Pkg], pr, i)
			if err != nil {
				rep.Failures = append(rep.Failures, failure{What: "profile: " + p.Command, Err: err, Output: p.Benchmark})
				p = nil
			}
			rep.Profiles = append(rep.Profiles, p)
		}
	}

	rep.LoadAfter = loadAverage()
	rep.Took = time.Since(start).Round(time.Second)
	var md bytes.Buffer
	writeMarkdown(&md, rep)
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.WriteFile(out, md.Bytes(), 0o644); err != nil {
		return err
	}
	logf("wrote %s in %v", out, rep.Took)
	for _, e := range rep.Figures {
		logf("%-7s %s", e.Result(), e.Title)
	}
	if len(rep.Failures) > 0 {
		var errs []error
		for _, f := range rep.Failures {
			errs = append(errs, fmt.Errorf("%s: %v", f.What, f.Err))
		}
		return fmt.Errorf("%d runs failed (see %s):\n%w", len(rep.Failures), o.out, errors.Join(errs...))
	}
	return nil
}

// testArgs are the test binary's flags for one round of a group;
// goTestCommand is the equivalent go test command line.
func testArgs(bench, benchtime string) []string {
	return []string{"-test.run", "^$", "-test.bench", bench, "-test.benchtime", benchtime, "-test.benchmem", "-test.count", "1"}
}

func goTestCommand(g group) string {
	return fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s -benchmem -count 1 %s", g.Bench, g.Benchtime, g.Pkg)
}

func benchstatArgs(v view, file string) []string {
	var args []string
	if v.Filter != "" {
		args = append(args, "-filter", v.Filter)
	}
	if v.Col != "" {
		args = append(args, "-col", v.Col)
	}
	return append(args, file)
}

func benchstatCommand(v view, file string) string {
	cmd := "benchstat"
	if v.Filter != "" {
		cmd += fmt.Sprintf(" -filter '%s'", v.Filter)
	}
	if v.Col != "" {
		cmd += fmt.Sprintf(" -col '%s'", v.Col)
	}
	return cmd + " " + file
}

// profileIgnore drops from every profile the samples of the set-up that
// ServiceHeap does before the benchmark starts (faulting in and
// collecting its garbage), which would otherwise top the short profiled
// runs without being part of any pipeline.
const profileIgnore = `testtool\.ServiceHeap`

func profileRunOf(root, work, bin string, pr profileSpec, i int) (*profile, error) {
	cpu, mem := filepath.Join(work, fmt.Sprintf("profile-%d-cpu.pprof", i)), filepath.Join(work, fmt.Sprintf("profile-%d-mem.pprof", i))
	p := &profile{Title: pr.Title, Command: fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s -benchmem -count 1 -cpuprofile cpu.pprof -memprofile mem.pprof %s",
		pr.Bench, pr.Benchtime, pr.Pkg)}
	logf("profiling %s", pr.Bench)
	args := append(testArgs(pr.Bench, pr.Benchtime), "-test.cpuprofile", cpu, "-test.memprofile", mem)
	out, err := command(filepath.Join(root, pr.Pkg), bin, args...)
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			p.Benchmark = strings.Join(strings.Fields(line), " ")
		}
	}
	if err != nil {
		if p.Benchmark == "" {
			p.Benchmark = tail(out)
		}
		return p, err
	}
	top := func(prof string, extra ...string) (string, error) {
		args := append([]string{"tool", "pprof", "-top", "-ignore=" + profileIgnore}, extra...)
		out, err := command(work, "go", append(args, bin, prof)...)
		if err != nil {
			return "", fmt.Errorf("pprof: %v\n%s", err, out)
		}
		var keep []string
		for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			if strings.HasPrefix(line, "File: ") || strings.HasPrefix(line, "Build ID: ") {
				continue // the temporary binary's path and id
			}
			keep = append(keep, line)
		}
		return strings.Join(keep, "\n"), nil
	}
	if p.CPU, err = top(cpu, "-nodecount=25"); err != nil {
		return p, err
	}
	if p.CPUCum, err = top(cpu, "-cum", fmt.Sprintf("-nodecount=%d", cumNodes)); err != nil {
		return p, err
	}
	if p.Alloc, err = top(mem, "-sample_index=alloc_space", "-nodecount=12"); err != nil {
		return p, err
	}
	if p.AllocObj, err = top(mem, "-sample_index=alloc_objects", "-nodecount=8"); err != nil {
		return p, err
	}
	return p, nil
}

// command runs name in dir and returns its standard output and error,
// interleaved as printed.
func command(dir, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v: %w", runTimeout, err)
	}
	return out.Bytes(), err
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside a Go module; run from the eventrecorder checkout")
	}
	return filepath.Dir(mod), nil
}

// tail is the last lines of out, for failure reports.
func tail(out []byte) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchreport: "+format+"\n", args...)
}

// machine describes where the suite ran.
type machine struct {
	Date, Commit, Kernel, CPU, GoVersion string
	Cores, GOMAXPROCS                    int
}

func describeMachine(root string) machine {
	m := machine{
		Date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Kernel:     "unknown",
		CPU:        "unknown",
		GoVersion:  "unknown",
		Commit:     "unknown",
	}
	if out, err := exec.Command("uname", "-srvm").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	if out, err := command(root, "git", "rev-parse", "--short", "HEAD"); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := command(root, "git", "status", "--porcelain", "--untracked-files=no"); err == nil && len(bytes.TrimSpace(st)) > 0 {
			m.Commit += " (with uncommitted changes in the working tree)"
		}
	}
	return m
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
