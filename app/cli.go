// Package app is the pff command: its command line, and the wiring that
// builds the domain services from the configuration and hands them to the
// front ends (the HTTP API in app/httpapi, the job workers in jobs, and the
// commands here). Domain logic lives in the sub-packages.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/suggest"
)

// Env is what a command sees of the world outside it.
type Env struct {
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
	Build   config.BuildInfo
}

// Exit codes, as a shell pipeline reads them.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// command is one `pff` subcommand.
type command struct {
	name    string
	args    string // synopsis of the positional arguments
	summary string
	details string
	// flags declares the command's flags on fs.
	flags func(fs *flag.FlagSet, inv *invocation)
	run   func(ctx context.Context, inv *invocation) error
}

// invocation is one run of a command: its flags, arguments and environment.
type invocation struct {
	Env
	fs         *flag.FlagSet
	args       []string // positional arguments
	configFile string
	// configFlags are the flags the user set that override config keys.
	configFlags map[string]any
}

// usageError makes Main print the command's usage and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func commands() []*command {
	return []*command{
		serveCommand(),
		workerCommand(),
		migrateCommand(),
		healthcheckCommand(),
		versionCommand(),
		configCommand(),
		userCommand(),
		apikeyCommand(),
		validateCommand(), genCommand(), schemaCommand(), rulesCommand(), constraintsCommand(),
		ingestCommand(),
		kgCommand(), trainCommand(), evalCommand(), modelsCommand(), predictCommand(),
		flowsCommand(), runFlowCommand(), execCommand(), simCommand(),
	}
}

// Main runs pff with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	cmds := commands()
	if len(args) == 0 {
		printUsage(env.Stderr, cmds)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			printUsage(env.Stdout, cmds)
			return exitOK
		}
		cmd := find(cmds, rest[0])
		if cmd == nil {
			unknownCommand(env.Stderr, "pff help", rest[0], cmds)
			return exitUsage
		}
		fs := newFlagSet(cmd, &invocation{Env: env, configFlags: map[string]any{}})
		fs.SetOutput(env.Stdout)
		fs.Usage()
		return exitOK
	case "-v", "-version", "--version":
		name = "version"
	}
	cmd := find(cmds, name)
	if cmd == nil {
		unknownCommand(env.Stderr, "pff", name, cmds)
		return exitUsage
	}
	return runCommand(ctx, cmd, rest, env)
}

func runCommand(ctx context.Context, cmd *command, args []string, env Env) int {
	inv := &invocation{Env: env, configFlags: map[string]any{}}
	inv.fs = newFlagSet(cmd, inv)
	// The flag package would print the usage on its own; asked for help,
	// it goes to standard output once, and after a bad flag to standard
	// error below the problem.
	inv.fs.SetOutput(io.Discard)
	positional, err := parseInterleaved(inv.fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			inv.fs.SetOutput(env.Stdout)
			inv.fs.Usage()
			return exitOK
		}
		fmt.Fprintf(env.Stderr, "pff %s: %v\n\n", cmd.name, err)
		inv.fs.SetOutput(env.Stderr)
		inv.fs.Usage()
		return exitUsage
	}
	inv.fs.SetOutput(env.Stderr)
	inv.args = positional
	err = cmd.run(ctx, inv)
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(env.Stderr, "pff %s: %s\n\n", cmd.name, usage.msg)
		inv.fs.Usage()
		return exitUsage
	default:
		fmt.Fprintf(env.Stderr, "pff %s: %s\n", cmd.name, message(err))
		return exitCode(err)
	}
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments (`pff user create --username x`), which the flag package alone
// stops at; everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// exitCoder is an error that chooses the process's exit code.
type exitCoder interface{ ExitCode() int }

func newFlagSet(cmd *command, inv *invocation) *flag.FlagSet {
	fs := flag.NewFlagSet("pff "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(inv.Stderr)
	fs.StringVar(&inv.configFile, "config", "", "YAML configuration `file` (default $PFF_CONFIG)")
	if cmd.flags != nil {
		cmd.flags(fs, inv)
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: pff %s [flags]%s\n\n%s\n", cmd.name, prefixSpace(cmd.args), cmd.summary)
		if cmd.details != "" {
			fmt.Fprintf(w, "\n%s\n", strings.Trim(cmd.details, "\n"))
		}
		fmt.Fprintln(w, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// configFlag declares a flag that overrides configuration key when given.
func (inv *invocation) configFlag(fs *flag.FlagSet, name, key, usage string) {
	fs.Func(name, usage+" (config key "+key+")", func(value string) error {
		inv.configFlags[key] = value
		return nil
	})
}

// config loads the configuration from defaults, file, environment and flags.
func (inv *invocation) config() (config.Config, error) {
	return config.Load(config.Sources{File: inv.configFile, Environ: inv.Environ, Flags: inv.configFlags})
}

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

// unknownCommand says a command does not exist, suggesting the nearest one.
func unknownCommand(w io.Writer, prefix, name string, cmds []*command) {
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = c.name
	}
	fmt.Fprintf(w, "%s: unknown command %q", prefix, name)
	if near := suggest.Nearest(name, names); near != "" {
		fmt.Fprintf(w, "; did you mean %q?", near)
	}
	fmt.Fprint(w, "\nRun `pff help` for the list of commands.\n")
}

func printUsage(w io.Writer, cmds []*command) {
	fmt.Fprint(w, "pff finds and fixes broken customer records in production BSS systems.\n\nUsage: pff <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun `pff help <command>` or `pff <command> --help` for a command's flags.\n")
}

func prefixSpace(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}
