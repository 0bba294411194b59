package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"podboard/db"
	"podboard/web/auth"
)

const commandUsage = `usage:
  podboard user add NAME [--password-stdin] [--data DIR]
  podboard user passwd NAME [--password-stdin] [--data DIR]
  podboard user del NAME [--data DIR]
  podboard user list [--data DIR]
  podboard token add NAME [--data DIR]     prints the token once, on the last line
  podboard token del NAME [--data DIR]
  podboard token list [--data DIR]
They work while the dashboard runs on the same data directory.`

// runCommand runs `podboard user …` and `podboard token …` and returns the
// exit code: 0 done, 1 failed, 2 misused.
func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "podboard: "+format+"\n", a...)
		return code
	}
	fs := flag.NewFlagSet("podboard "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := getenv("PODBOARD_DATA")
	if data == "" {
		data = "./data"
	}
	fs.StringVar(&data, "data", data, "data directory (env PODBOARD_DATA)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, commandUsage)
		return 0
	}
	if err != nil {
		return fail(2, "%v\n%s", err, commandUsage)
	}
	if len(pos) == 0 {
		return fail(2, "%s: which command?\n%s", args[0], commandUsage)
	}
	verb, names := pos[0], pos[1:]
	wantName := map[string]bool{"add": true, "passwd": true, "del": true}[verb]
	switch {
	case args[0] == "token" && verb == "passwd", !wantName && verb != "list":
		return fail(2, "unknown command %q\n%s", args[0]+" "+verb, commandUsage)
	case wantName && len(names) != 1:
		return fail(2, "%s %s takes one NAME\n%s", args[0], verb, commandUsage)
	case !wantName && len(names) != 0:
		return fail(2, "%s list takes no NAME\n%s", args[0], commandUsage)
	}

	ctx := context.Background()
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fail(1, "data directory: %v", err)
	}
	store, err := db.Open(ctx, filepath.Join(data, "podboard.db"))
	if err != nil {
		return fail(1, "%v", err)
	}
	defer store.Close()
	acc := auth.Accounts{DB: store}

	var name string
	if len(names) == 1 {
		name = names[0]
	}
	password := func() (string, error) {
		if *fromStdin {
			return readPassword(stdin)
		}
		if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return promptPassword(f, stderr)
		}
		return "", errors.New("give the password on standard input with --password-stdin")
	}
	switch args[0] + " " + verb {
	case "user add", "user passwd":
		pw, err := password()
		if err != nil {
			return fail(1, "%v", err)
		}
		if verb == "add" {
			err = acc.AddUser(ctx, name, pw)
		} else {
			err = acc.SetPassword(ctx, name, pw)
		}
		if err != nil {
			return fail(1, "%v", err)
		}
		if verb == "add" {
			fmt.Fprintf(stdout, "user %s added: sign in at the dashboard's /login\n", name)
		} else {
			fmt.Fprintf(stdout, "password of %s changed: its sessions have ended\n", name)
		}
	case "user del":
		if err := acc.DeleteUser(ctx, name); err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "user %s deleted: its sessions have ended\n", name)
	case "user list":
		us, err := acc.Users(ctx)
		if err != nil {
			return fail(1, "%v", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED")
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%s\n", u.Name, u.Created.Local().Format(time.DateTime))
		}
		tw.Flush()
	case "token add":
		tok, err := acc.AddToken(ctx, name)
		if err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "token %s added. It is shown only now; scripts send it as\n  Authorization: Bearer TOKEN\n%s\n", name, tok)
	case "token del":
		if err := acc.DeleteToken(ctx, name); err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintf(stdout, "token %s deleted\n", name)
	case "token list":
		ts, err := acc.Tokens(ctx)
		if err != nil {
			return fail(1, "%v", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED\tLAST USED")
		for _, t := range ts {
			used := "never"
			if !t.LastUsed.IsZero() {
				used = t.LastUsed.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Created.Local().Format(time.DateTime), used)
		}
		tw.Flush()
	}
	return 0
}

// readPassword reads the first line of r: a password piped in, or given
// by a secret store.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, auth.MaxPassword+2), auth.MaxPassword+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}

// promptPassword asks twice on a terminal, without echo.
func promptPassword(f *os.File, prompt io.Writer) (string, error) {
	fmt.Fprint(prompt, "Password: ")
	a, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	fmt.Fprint(prompt, "Again: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the passwords differ")
	}
	return string(a), nil
}

// parseInterspersed parses args with fs, flags before or after the
// positional arguments, and returns the positional ones in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
