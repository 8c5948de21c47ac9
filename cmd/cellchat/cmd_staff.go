package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cellchat/cellchat/transcript"
)

const staffUsage = `usage: cellchat staff add EMAIL [--role reviewer|clinician|admin] [--data DIR]
       cellchat staff role EMAIL --role reviewer|clinician|admin [--data DIR]
       cellchat staff list [--data DIR]
       cellchat staff remove EMAIL [--data DIR]

Manages the accounts that sign in to the staff console at /staff. The
accounts live in the transcript log (--db, or DATA/transcript.db). "add" reads the
password from a prompt on a terminal, or one line from stdin otherwise
(at least %d characters; common passwords, repeated characters and runs
along the keyboard are refused).

Roles: a reviewer marks replies; a clinician also writes and publishes
answer-library entries; an admin also reloads sources. "add" without
--role makes an admin, as accounts were before roles; "role" changes one.
`

func runStaff(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(c.stderr, staffUsage, transcript.MinPasswordLength)
		if len(args) == 0 {
			return &exitError{code: 2, err: errors.New("staff: missing action (add, list or remove)")}
		}
		return flag.ErrHelp
	}
	action := args[0]
	var argsUsage string
	var wantArgs int
	switch action {
	case "add", "remove", "role":
		argsUsage, wantArgs = "EMAIL", 1
	case "list":
	default:
		fmt.Fprintf(c.stderr, staffUsage, transcript.MinPasswordLength)
		return &exitError{code: 2, err: fmt.Errorf("staff: unknown action %q (want add, role, list or remove)", action)}
	}
	fs := newFlagSet(c, "staff "+action, argsUsage)
	p := addPathFlags(fs)
	addDBFlag(fs, p)
	var role string
	switch action {
	case "add":
		fs.StringVar(&role, "role", transcript.DefaultRole, "the account's role: reviewer, clinician or admin")
	case "role":
		fs.StringVar(&role, "role", "", "the account's new role: reviewer, clinician or admin")
	}
	pos, err := parseFlags(fs, c, args[1:])
	if err != nil {
		return err
	}
	if action == "role" && role == "" {
		return &exitError{code: 2, err: errors.New("staff role: give the new role with --role reviewer, clinician or admin")}
	}
	if role != "" {
		if err := transcript.CheckRole(role); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("staff %s: %w", action, err)}
		}
	}
	if len(pos) != wantArgs {
		fs.Usage()
		return &exitError{code: 2, err: fmt.Errorf("staff %s: want %d argument(s), got %d", action, wantArgs, len(pos))}
	}
	var email string
	if wantArgs == 1 {
		if email, err = transcript.NormalizeEmail(pos[0]); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("staff %s: %w", action, err)}
		}
	}
	var password string
	if action == "add" {
		// Read the password before opening the store, so a bad one changes nothing.
		if password, err = readPassword(c); err != nil {
			return fmt.Errorf("staff add: %w", err)
		}
	}
	store, err := p.openLog(ctx, transcript.Options{})
	if err != nil {
		return fmt.Errorf("staff: %w", err)
	}
	defer store.Close()
	switch action {
	case "add":
		if err := store.AddStaffRole(ctx, email, password, role); err != nil {
			return fmt.Errorf("staff add: %w", err)
		}
		store.Audit(ctx, "cli", "staff_add", email+" as "+role)
		fmt.Fprintf(c.stdout, "added %s as %s\n", email, role)
	case "role":
		if err := store.SetRole(ctx, email, role); err != nil {
			return fmt.Errorf("staff role: %w", err)
		}
		store.Audit(ctx, "cli", "staff_role", email+" as "+role)
		fmt.Fprintf(c.stdout, "%s is now %s\n", email, role)
	case "remove":
		if err := store.RemoveStaff(ctx, email); err != nil {
			return fmt.Errorf("staff remove: %w", err)
		}
		store.Audit(ctx, "cli", "staff_remove", email)
		fmt.Fprintf(c.stdout, "removed %s (and signed out its sessions)\n", email)
	case "list":
		list, err := store.ListStaff(ctx)
		if err != nil {
			return fmt.Errorf("staff list: %w", err)
		}
		if len(list) == 0 {
			fmt.Fprintln(c.stderr, "no staff accounts; add one with: cellchat staff add EMAIL")
		}
		for _, st := range list {
			fmt.Fprintf(c.stdout, "%s\t%s\t%s\n", st.Email, st.Created.UTC().Format("2006-01-02 15:04 MST"), st.Role)
		}
	}
	return nil
}

// readPassword prompts twice on a terminal (without echo), or reads one
// line from stdin when it is not a terminal (scripts, tests).
func readPassword(c *cli) (string, error) {
	var pw string
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(c.stderr, "Repeat password: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(b) != string(again) {
			return "", errors.New("passwords do not match")
		}
		pw = string(b)
	} else {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no password on stdin")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := transcript.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}
