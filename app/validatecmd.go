package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
)

func validateCommand() *command {
	var (
		schemaFile      string
		ruleFiles       stringList
		constraintsFile string
		noDefaults      bool
		format          string
	)
	return &command{
		name:    "validate",
		args:    "FILE...",
		summary: "Validate records offline; exit 0 if all are accepted, 1 if not, 2 on bad input.",
		details: `Each FILE (- for standard input) holds one JSON record or several, as NDJSON.
Records are checked against the embedded default rules and checks plus the
rule files given (.json or .tsv Horn rules, .yaml checks), as a set stored
with mode "add" is on the server; --no-defaults leaves the defaults out, as
mode "replace" does. Also against the schema and constraint set when given.
The same content gets the same versions here and on the server. Nothing is
read from the configuration or the database. --format json writes one JSON
report a line, with its "source".`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.StringVar(&schemaFile, "schema", "", "JSON Schema `file` to validate records against")
			fs.Var(&ruleFiles, "rules", "rule or check `file` (.json, .tsv, .yaml); repeatable")
			fs.StringVar(&constraintsFile, "constraints", "", "constraint set `file` (JSON, from pff constraints learn) to validate records against")
			fs.BoolVar(&noDefaults, "no-defaults", false, "leave out the embedded default rules and checks (mode replace)")
			fs.StringVar(&format, "format", "text", "report `format`: text or json")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) == 0 {
				return usagef("missing FILE")
			}
			if format != "text" && format != "json" {
				return usagef("unknown --format %q: want text or json", format)
			}
			v, err := offlineValidator(inv.Stderr, schemaFile, ruleFiles, constraintsFile, noDefaults)
			if err != nil {
				return err
			}
			tally := map[validation.Decision]int{}
			unreadable := 0
			err = validateFiles(ctx, inv.Stdin, inv.args, v, func(source string, report *validation.Report) error {
				tally[report.Decision]++
				return writeReport(inv.Stdout, format, source, report)
			}, func(err error) {
				unreadable++
				fmt.Fprintf(inv.Stderr, "pff validate: %v\n", err)
			})
			if err != nil {
				return err
			}
			total := tally[validation.Accept] + tally[validation.Review] + tally[validation.Reject]
			if format == "text" {
				fmt.Fprintf(inv.Stdout, "%d records: %d accepted, %d to review, %d rejected\n",
					total, tally[validation.Accept], tally[validation.Review], tally[validation.Reject])
			}
			if unreadable > 0 {
				return inputError(fmt.Errorf("%d inputs could not be read (above); the rest were validated", unreadable))
			}
			if tally[validation.Accept] < total {
				return codedError{code: exitError, err: fmt.Errorf("%d of %d records not accepted", total-tally[validation.Accept], total)}
			}
			return nil
		},
	}
}

// validationJob is one record on its way through validateFiles.
type validationJob struct {
	source string
	doc    []byte
	// err, set instead of doc, is the input error that ended a file here.
	err    error
	result chan validationResult
}

type validationResult struct {
	report *validation.Report
	err    error
}

// validateFiles validates the records of the files on every core and calls
// emit with their reports in input order. A file that cannot be read, or a
// record that cannot be validated, goes to unreadable in its turn, and the
// run goes on: a file stops at its first malformed record, after the
// records before it.
func validateFiles(ctx context.Context, stdin io.Reader, paths []string, v *validation.Validator,
	emit func(source string, r *validation.Report) error, unreadable func(error)) error {
	g, ctx := errgroup.WithContext(ctx)
	workers := runtime.GOMAXPROCS(0)
	todo := make(chan validationJob)
	// inOrder bounds how far reading runs ahead of writing.
	inOrder := make(chan validationJob, 2*workers)
	g.Go(func() error {
		defer close(todo)
		defer close(inOrder)
		for _, path := range paths {
			err := readRecords(stdin, path, func(source string, doc []byte) error {
				job := validationJob{source: source, doc: doc, result: make(chan validationResult, 1)}
				for _, ch := range []chan validationJob{inOrder, todo} {
					select {
					case ch <- job:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			})
			if err != nil {
				select { // the writer reports it in its turn
				case inOrder <- validationJob{err: err}:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for job := range todo {
				report, err := v.Validate(ctx, job.doc)
				job.result <- validationResult{report, err}
			}
			return nil
		})
	}
	g.Go(func() error {
		for job := range inOrder {
			if job.err != nil {
				unreadable(job.err)
				continue
			}
			var res validationResult
			select {
			case res = <-job.result:
			case <-ctx.Done():
				return ctx.Err()
			}
			if res.err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				unreadable(recordProblem(job.source, res.err))
				continue
			}
			if err := emit(job.source, res.report); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}

// recordProblem names where a record that could not be validated went
// wrong: file:line:col of its document, when the validator can tell.
func recordProblem(source string, err error) error {
	var re *validation.RecordError
	if !errors.As(err, &re) || re.Line == 0 {
		return fmt.Errorf("%s: %w", source, err)
	}
	file, line, ok := strings.Cut(source, ":")
	start, convErr := strconv.Atoi(line)
	if !ok || convErr != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	return fmt.Errorf("%s:%d:%d: %s", file, start+re.Line-1, re.Column, re.Reason)
}

// offlineValidator builds the validator of `pff validate` from files. Rule
// file problems are written to stderr, notes included; errors stop it.
func offlineValidator(stderr io.Writer, schemaFile string, ruleFiles []string, constraintsFile string, noDefaults bool) (*validation.Validator, error) {
	var sources validation.Sources
	if !noDefaults {
		defaults, err := validation.DefaultSources()
		if err != nil {
			return nil, err
		}
		sources = defaults
	}
	extra, diags, err := validation.ReadSources(ruleFiles...)
	if err != nil {
		return nil, inputError(err)
	}
	fmt.Fprint(stderr, diags.String())
	if diags.Err() != nil {
		return nil, inputError(errors.New("the rule files have errors"))
	}
	rs, cs, err := sources.Add(extra).Compile()
	if err != nil {
		return nil, inputError(err)
	}
	cfg := validation.Config{Rules: rs, Checks: cs}
	if constraintsFile != "" {
		data, err := os.ReadFile(constraintsFile) // #nosec G304 -- the user names the files to read
		if err != nil {
			return nil, inputError(err)
		}
		if diags := constraints.Lint(constraintsFile, data); diags.Err() != nil {
			fmt.Fprint(stderr, diags.String())
			return nil, inputError(fmt.Errorf("constraint set %s has errors", constraintsFile))
		}
		if cfg.Constraints, err = constraints.Load(constraintsFile, data); err != nil {
			return nil, inputError(err)
		}
	}
	if schemaFile != "" {
		if cfg.Schema, err = readSchemaFile(stderr, schemaFile); err != nil {
			return nil, err
		}
	}
	return validation.New(cfg)
}

// readSchemaFile reads and compiles a JSON Schema, its problems written to
// stderr with their positions.
func readSchemaFile(stderr io.Writer, path string) (*schema.Schema, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the user names the files to read
	if err != nil {
		return nil, inputError(err)
	}
	if diags := knowledge.LintSchema(path, data); len(diags) > 0 {
		fmt.Fprint(stderr, diags.String())
		return nil, inputError(fmt.Errorf("schema %s has errors", path))
	}
	return schema.Compile(path, data)
}

func writeReport(w io.Writer, format, source string, report *validation.Report) error {
	if format == "json" {
		line, err := json.Marshal(struct {
			Source string `json:"source"`
			*validation.Report
		}{source, report})
		if err != nil {
			return err
		}
		_, err = w.Write(append(line, '\n'))
		return err
	}
	_, err := fmt.Fprintf(w, "== %s\n%s\n", source, report.Text())
	return err
}

// readRecords calls fn with each JSON document of the file at path ("-" is
// stdin): one document, or several one after another as in NDJSON. A
// document's source is "path:line", the line it starts on. A malformed
// document stops the file with an error at its line and column.
func readRecords(stdin io.Reader, path string, fn func(source string, doc []byte) error) error {
	r := stdin
	name := "stdin"
	if path != "-" {
		f, err := os.Open(path) // #nosec G304 -- the user names the files to read
		if err != nil {
			return err
		}
		defer f.Close() //nolint:errcheck // opened for reading
		r, name = f, path
	}
	lines := &lineIndex{r: r}
	dec := json.NewDecoder(lines)
	for {
		var doc json.RawMessage
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", lines.position(name, dec.InputOffset(), err), err)
		}
		start := dec.InputOffset() - int64(len(doc))
		if err := fn(fmt.Sprintf("%s:%d", name, lines.line(start)), doc); err != nil {
			return err
		}
	}
}

// lineIndex reads from r, remembering where each line starts, so a stream
// decoder's byte offsets can be told as lines and columns.
type lineIndex struct {
	r      io.Reader
	read   int64
	starts []int64 // offsets of the lines after the first
}

func (l *lineIndex) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	chunk := p[:n]
	for i := 0; ; {
		j := bytes.IndexByte(chunk[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		l.starts = append(l.starts, l.read+int64(i))
	}
	l.read += int64(n)
	return n, err
}

// line returns the line (1-based) of byte offset off.
func (l *lineIndex) line(off int64) int {
	return sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) + 1
}

// position names where a decoding error happened as file:line:col, the
// column counted in bytes.
func (l *lineIndex) position(name string, inputOffset int64, err error) string {
	off := inputOffset
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		off = max(syntax.Offset-1, 0) // Offset is just past the offending byte
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		off = l.read
	}
	line := l.line(off)
	lineStart := int64(0)
	if line > 1 {
		lineStart = l.starts[line-2]
	}
	return fmt.Sprintf("%s:%d:%d", name, line, off-lineStart+1)
}
