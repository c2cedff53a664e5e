package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
)

func schemaCommand() *command {
	var enumMax int
	return &command{
		name:    "schema",
		args:    "infer PATH... | lint FILE | production",
		summary: "Infer a JSON Schema from known-good records, or lint one.",
		details: `  infer PATH...  reads records from files (one JSON document or NDJSON) and
                 directories (their .json, .txt, .ndjson and .jsonl files, not
                 generator labels) and prints the schema they all satisfy;
                 enums and required members only on evidence: an enum for a
                 member seen 50 times or more with at most --enum-max values,
                 each seen 5 times or more, never for ids, free text or
                 quantities; required when present in each of 20 or more
                 objects
  production     prints the schema inferred from the 14,550 production
                 records, which PFF ships (upload it to apply it)
  lint FILE      prints each problem as file:line:col: message; exit 1 if any`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.IntVar(&enumMax, "enum-max", 0, "most distinct values a string may take and still become an enum (0: 16; negative: no enums)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) == 0 {
				return usagef("missing action: infer or lint")
			}
			switch action, paths := inv.args[0], inv.args[1:]; {
			case action == "infer" && len(paths) > 0:
				return inferSchema(ctx, inv, paths, schema.InferOptions{EnumMaxValues: enumMax})
			case action == "production" && len(paths) == 0:
				_, err := inv.Stdout.Write(validation.ProductionSchema())
				return err
			case action == "lint" && len(paths) == 1:
				data, err := os.ReadFile(paths[0])
				if err != nil {
					return inputError(err)
				}
				return reportDiagnostics(inv, knowledge.LintSchema(paths[0], data))
			default:
				return usagef("expected: schema infer PATH..., schema lint FILE or schema production")
			}
		},
	}
}

func rulesCommand() *command {
	var mineOpts mineOptions
	var corpus bool
	return &command{
		name:    "rules",
		args:    "lint [--corpus] FILE... | mine PATH...",
		summary: "Lint rule (.json, .tsv) and check (.yaml) files, or mine Horn rules from records.",
		details: `  lint FILE...  prints each problem as file:line:col: severity: message;
                exit 1 if any is an error; with --corpus, also warns at each
                rule's line about predicates and constants the stored
                corpus's graph never holds and about rules no stored record
                applies to (reads every stored record; the API's upload
                reads them for 5 s)
  mine PATH...  learns Horn rules from the records in files (one JSON document
                or NDJSON) and directories (their .json, .txt, .ndjson and
                .jsonl files), AnyBURL-style: cyclic and acyclic rules with
                constants, bodies of one or two atoms, support and confidence
                counted over all records; writes them as AnyBURL TSV
                (predictions, correct, confidence, rule), best first, which
                pff validate --rules and rules lint read`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			mineOpts.flags(fs)
			fs.BoolVar(&corpus, "corpus", false, "lint: also lint Horn rules against the stored records (needs the database)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) >= 2 && inv.args[0] == "mine" {
				return mineRules(ctx, inv, inv.args[1:], mineOpts)
			}
			if len(inv.args) < 2 || inv.args[0] != "lint" {
				return usagef("expected: rules lint FILE... or rules mine PATH...")
			}
			var diags rules.Diagnostics
			files := map[string][]byte{}
			for _, path := range inv.args[1:] {
				data, err := os.ReadFile(path) // #nosec G304 -- the user names the files to read
				if err != nil {
					return inputError(err)
				}
				files[path] = data
				diags = append(diags, validation.LintFile(path, data)...)
			}
			if !corpus || diags.Err() != nil {
				return reportDiagnostics(inv, diags)
			}
			err := withServices(ctx, inv, func(s *services) error {
				for _, path := range inv.args[1:] {
					if ext := filepath.Ext(path); ext == ".json" || ext == ".tsv" {
						diags = append(diags, knowledge.LintAgainstCorpus(ctx, s.store, path, files[path], 0)...)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return reportDiagnostics(inv, diags)
		},
	}
}

// reportDiagnostics prints diags and fails when one is an error.
func reportDiagnostics(inv *invocation, diags rules.Diagnostics) error {
	fmt.Fprint(inv.Stdout, diags.String())
	errs := 0
	for _, d := range diags {
		if d.Severity == rules.Error {
			errs++
		}
	}
	if errs > 0 {
		return fmt.Errorf("%d error(s)", errs)
	}
	return nil
}

func inferSchema(ctx context.Context, inv *invocation, paths []string, opts schema.InferOptions) error {
	in := schema.NewInferrer(opts)
	add := func(source string, doc []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var v any
		if err := json.Unmarshal(doc, &v); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		in.Add(v)
		return nil
	}
	if err := readRecordPaths(inv, paths, add); err != nil {
		return err
	}
	if in.Records() == 0 {
		return inputError(fmt.Errorf("no records in %s", strings.Join(paths, " ")))
	}
	out, err := in.JSON()
	if err != nil {
		return err
	}
	fmt.Fprintf(inv.Stderr, "inferred from %d records\n", in.Records())
	_, err = inv.Stdout.Write(append(out, '\n'))
	return err
}

// recordFiles returns path when it is a file (or "-"), or the record files
// under it, in lexical order, when it is a directory.
func recordFiles(path string) ([]string, error) {
	if path == "-" {
		return []string{path}, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := d.Name()
		if strings.HasSuffix(name, ".labels.jsonl") {
			return nil
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".json", ".txt", ".ndjson", ".jsonl":
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// readRecordPaths calls add with every record in the files, directories and
// NDJSON files named ("-" is standard input); a problem is a usage error.
func readRecordPaths(inv *invocation, paths []string, add func(source string, doc []byte) error) error {
	for _, path := range paths {
		files, err := recordFiles(path)
		if err != nil {
			return inputError(err)
		}
		for _, file := range files {
			if err := readRecords(inv.Stdin, file, add); err != nil {
				return inputError(err)
			}
		}
	}
	return nil
}
