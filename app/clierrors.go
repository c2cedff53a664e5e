package app

import (
	"errors"
	"strings"

	"github.com/pff/pff/app/problem"
)

// codedError is an error that exits with its own code.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }
func (e codedError) ExitCode() int { return e.code }

// inputError exits 2, as a usage error does, but without the usage: the
// input could not be read.
func inputError(err error) error {
	var coded codedError
	if errors.As(err, &coded) {
		return err
	}
	return codedError{code: exitUsage, err: err}
}

// exitCode is the exit code of a failed command: its own, when it chose
// one, and otherwise 1.
func exitCode(err error) int {
	var coded exitCoder
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return exitError
}

// message is a failed command's error as one line: a problem with invalid
// fields lists each as "field problem".
func message(err error) string {
	p, ok := problem.As(err)
	if !ok || len(p.Fields) == 0 {
		return strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	parts := make([]string, len(p.Fields))
	for i, f := range p.Fields {
		parts[i] = f.Field + " " + f.Problem
	}
	return strings.Join(parts, "; ")
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
