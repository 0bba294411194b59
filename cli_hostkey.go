package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"podboard/lifecycle/podman/sshtunnel"
)

const hostkeyUsage = `usage:
  podboard hostkey add ssh://[user@]host[:port][/path] [--fingerprint SHA256:…] [--known-hosts FILE | --data DIR]
Adds the key the host offers to the known_hosts file podboard checks
(--known-hosts, else DIR/known_hosts): only when it has the fingerprint
given, or, without one, when you confirm it on a terminal.`

// runHostkey runs `podboard hostkey add …` and returns the exit code: 0
// done, 1 failed, 2 misused. It never replaces a key the file holds for
// the host: a changed key is removed by hand, after finding out why.
func runHostkey(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "podboard: "+format+"\n", a...)
		return code
	}
	fs := flag.NewFlagSet("podboard hostkey", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := cmp.Or(getenv("PODBOARD_DATA"), "./data")
	fs.StringVar(&data, "data", data, "data directory (env PODBOARD_DATA)")
	known := fs.String("known-hosts", getenv("PODBOARD_KNOWN_HOSTS"), "known_hosts file (env PODBOARD_KNOWN_HOSTS; default DIR/known_hosts)")
	want := fs.String("fingerprint", "", "the key's SHA256 fingerprint, as ssh-keygen -lf prints it on the host")
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, hostkeyUsage)
		return 0
	}
	if err != nil {
		return fail(2, "%v\n%s", err, hostkeyUsage)
	}
	if len(pos) != 2 || pos[0] != "add" {
		return fail(2, "want: hostkey add URI\n%s", hostkeyUsage)
	}
	addr, err := sshAddr(pos[1])
	if err != nil {
		return fail(2, "%v\n%s", err, hostkeyUsage)
	}
	if *known == "" {
		*known = filepath.Join(data, "known_hosts")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := sshtunnel.FetchHostKey(ctx, addr, 10*time.Second)
	if err != nil {
		return fail(1, "%v", err)
	}
	fp := ssh.FingerprintSHA256(key)
	if *want != "" && !strings.HasPrefix(*want, "SHA256:") {
		*want = "SHA256:" + *want // as pasted from ssh-keygen's output without it
	}
	// Never a second key for a host: a changed key is removed by hand.
	switch err := sshtunnel.CheckKnown(*known, addr, key); {
	case err == nil:
		fmt.Fprintf(stdout, "%s %s of %s is already in %s\n", key.Type(), fp, addr, *known)
		return 0
	case errors.Is(err, sshtunnel.ErrHostKeyChanged):
		return fail(1, "%v", err)
	case !errors.Is(err, sshtunnel.ErrUnknownHostKey):
		return fail(1, "known hosts: %v", err)
	}
	switch {
	case *want != "" && *want != fp:
		return fail(1, "%s offers %s %s, not %s: nothing added (someone may be in the middle)", addr, key.Type(), fp, *want)
	case *want == "":
		f, ok := stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return fail(1, "%s offers %s %s; compare it with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run again with --fingerprint %s", addr, key.Type(), fp, fp)
		}
		fmt.Fprintf(stderr, "%s offers %s %s.\nIs it the host's own key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host)? [y/N] ", addr, key.Type(), fp)
		answer, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.TrimSpace(strings.ToLower(answer)); a != "y" && a != "yes" {
			return fail(1, "nothing added")
		}
	}
	if err := sshtunnel.AddKnownHost(*known, addr, key); err != nil {
		return fail(1, "known hosts: %v", err)
	}
	fmt.Fprintf(stdout, "added %s %s for %s to %s\n", key.Type(), fp, addr, *known)
	return 0
}

// sshAddr is the host:port of an ssh:// URI, the user and path optional.
func sshAddr(uri string) (string, error) {
	rest, ok := strings.CutPrefix(uri, "ssh://")
	if !ok {
		return "", fmt.Errorf("%q: want ssh://[user@]host[:port]", uri)
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	t, err := sshtunnel.ParseTarget("ssh://podboard@" + rest + "/run/podman/podman.sock")
	if err != nil {
		return "", fmt.Errorf("%q: want ssh://[user@]host[:port]", uri)
	}
	return t.Addr, nil
}
