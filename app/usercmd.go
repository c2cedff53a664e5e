package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/pff/pff/app/accounts"
)

func userCommand() *command {
	var username, email, role string
	var passwordStdin bool
	return &command{
		name:    "user",
		args:    "create|list|disable|enable|reset-password [USERNAME]",
		summary: "Manage users: the first admin, password resets, disabling.",
		details: `  create --username U --email E --role viewer|operator|admin
  list
  disable USERNAME         revokes the user's tokens and keys at once
  enable USERNAME
  reset-password USERNAME  revokes the user's tokens

Passwords are read from a terminal prompt, or with --password-stdin from the
first line of standard input; never from the command line.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&username, "username", "", "`name` of the new user (create)")
			fs.StringVar(&email, "email", "", "`address` of the new user (create)")
			fs.StringVar(&role, "role", "viewer", "`role` of the new user: viewer, operator or admin (create)")
			fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
		},
		run: func(ctx context.Context, inv *invocation) error {
			action, target, err := subcommand(inv, map[string]bool{"create": false, "list": false, "disable": true, "enable": true, "reset-password": true})
			if err != nil {
				return err
			}
			return withServices(ctx, inv, func(s *services) error {
				switch action {
				case "create":
					password, err := readPassword(inv, passwordStdin)
					if err != nil {
						return err
					}
					user, err := s.accounts.CreateUser(ctx, accounts.CreateUserRequest{Username: username, Email: email, Role: role, Password: password})
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "created %s %s (%s)\n", user.Role, user.Username, user.ID)
				case "list":
					return listUsers(ctx, inv, s.accounts)
				case "disable", "enable":
					user, err := s.accounts.SetActive(ctx, target, action == "enable")
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "%sd %s\n", action, user.Username)
				case "reset-password":
					if _, err := s.accounts.UserByName(ctx, target); err != nil {
						return err
					}
					password, err := readPassword(inv, passwordStdin)
					if err != nil {
						return err
					}
					user, err := s.accounts.ResetPassword(ctx, target, password)
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "password of %s reset; their tokens are revoked\n", user.Username)
				}
				return nil
			})
		},
	}
}

func listUsers(ctx context.Context, inv *invocation, a *accounts.Accounts) error {
	w := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "USERNAME\tEMAIL\tROLE\tACTIVE\tID")
	after := ""
	for {
		users, err := a.ListUsers(ctx, accounts.UserFilter{After: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, u := range users {
			fmt.Fprintf(w, "%s\t%s\t%s\t%t\t%s\n", u.Username, u.Email, u.Role, u.Active, u.ID)
		}
		if len(users) < 500 {
			return w.Flush()
		}
		after = users[len(users)-1].Username
	}
}

func apikeyCommand() *command {
	var username, name string
	var expires time.Duration
	return &command{
		name:    "apikey",
		args:    "create|list|revoke [ID]",
		summary: "Manage API keys for machines.",
		details: `  create --user U --name N [--expires 720h]   prints the key once; it is stored only as a hash
  list [--user U]
  revoke ID

A key acts with its user's role. Send it as X-API-Key: <key> or
Authorization: Bearer <key>.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&username, "user", "", "`username` the key acts for")
			fs.StringVar(&name, "name", "", "a `name` saying what the key is for (create)")
			fs.DurationVar(&expires, "expires", 0, "lifetime of the key, e.g. 720h; 0 never expires (create)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			action, target, err := subcommand(inv, map[string]bool{"create": false, "list": false, "revoke": true})
			if err != nil {
				return err
			}
			return withServices(ctx, inv, func(s *services) error {
				switch action {
				case "create":
					req := accounts.CreateAPIKeyRequest{Username: username, Name: name}
					if expires > 0 {
						at := time.Now().Add(expires)
						req.ExpiresAt = &at
					}
					created, err := s.accounts.CreateAPIKey(ctx, req)
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stderr, "API key %s for %s; store it now, it is not shown again:\n", created.APIKey.ID, created.APIKey.Username)
					fmt.Fprintln(inv.Stdout, created.Key)
				case "list":
					filter := accounts.APIKeyFilter{Limit: 10_000}
					if username != "" {
						user, err := s.accounts.UserByName(ctx, username)
						if err != nil {
							return err
						}
						filter.UserID = user.ID
					}
					keys, err := s.accounts.ListAPIKeys(ctx, filter)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "ID\tUSER\tNAME\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
					for _, k := range keys {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Username, k.Name, k.CreatedAt.Format(time.RFC3339),
							timeOrDash(k.ExpiresAt), timeOrDash(k.LastUsedAt), timeOrDash(k.RevokedAt))
					}
					return w.Flush()
				case "revoke":
					if _, err := s.accounts.RevokeAPIKey(ctx, target); err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "revoked %s\n", target)
				}
				return nil
			})
		},
	}
}

// subcommand reads ACTION [TARGET]; actions maps each action to whether it
// takes a target.
func subcommand(inv *invocation, actions map[string]bool) (action, target string, err error) {
	args := inv.args
	if len(args) == 0 {
		return "", "", usagef("missing action")
	}
	needsTarget, ok := actions[args[0]]
	switch {
	case !ok:
		return "", "", usagef("unknown action %q", args[0])
	case needsTarget && len(args) != 2:
		return "", "", usagef("%s takes exactly one argument", args[0])
	case !needsTarget && len(args) != 1:
		return "", "", usagef("%s takes no arguments", args[0])
	}
	if needsTarget {
		target = args[1]
	}
	return args[0], target, nil
}

// withServices connects to a migrated database and builds the domain
// services for a one-off command: few connections, jobs inserted but not
// worked.
func withServices(ctx context.Context, inv *invocation, fn func(*services) error) error {
	return withServicesOf(ctx, inv, processOptions{maxConns: 2}, fn)
}

// withServicesOf builds the services for a command with the options it needs.
func withServicesOf(ctx context.Context, inv *invocation, opts processOptions, fn func(*services) error) error {
	cfg, err := inv.config()
	if err != nil {
		return err
	}
	opts.build = inv.Build
	if opts.process == "" {
		opts.process = "command"
	}
	s, err := startServices(ctx, cfg, newLogger(cfg, inv.Stderr), opts)
	if err != nil {
		return err
	}
	defer s.close()
	return fn(s)
}

// readPassword prompts twice on a terminal, or reads the first line of
// standard input with --password-stdin.
func readPassword(inv *invocation, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(inv.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	file, ok := inv.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		return "", usagef("no terminal to prompt for the password; use --password-stdin")
	}
	prompt := func(label string) (string, error) {
		fmt.Fprint(inv.Stderr, label)
		b, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(inv.Stderr)
		return string(b), err
	}
	first, err := prompt("Password: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	second, err := prompt("Again: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if first != second {
		return "", errors.New("the passwords differ")
	}
	return first, nil
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
