package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"podboard/lifecycle"
	"podboard/lifecycle/podman"
)

// hostSpec is one Podman host as the operator gives it.
type hostSpec struct {
	name     string // lifecycle.DefaultHost for a bare URI
	uri      string
	identity string // the private key of an ssh:// host
}

// maxHosts bounds the hosts one dashboard follows: each costs a scan, an
// event stream and a stats stream.
const maxHosts = 64

// parseHosts reads the hosts: --podman values (NAME=URI, or a bare URI,
// which is the host "local"), else the hosts file, else def alone; and
// the identity files, FILE for every ssh:// host or NAME=FILE for one.
func parseHosts(args []string, file string, identities []string, def string) ([]hostSpec, error) {
	var specs []hostSpec
	switch {
	case len(args) > 0 && file != "":
		return nil, errors.New("--podman (or PODBOARD_PODMAN) and --hosts-file (or PODBOARD_HOSTS_FILE) both name hosts: give one of them")
	case file != "":
		var err error
		if specs, err = readHostsFile(file); err != nil {
			return nil, err
		}
	case len(args) == 0:
		args = []string{def}
		fallthrough
	default:
		for _, a := range args {
			s, err := parseHost(a)
			if err != nil {
				return nil, fmt.Errorf("--podman %s: %w", redactHost(a), err)
			}
			specs = append(specs, s)
		}
	}
	if len(specs) > maxHosts {
		return nil, fmt.Errorf("%d hosts: at most %d", len(specs), maxHosts)
	}
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.name] {
			if s.name == lifecycle.DefaultHost {
				return nil, fmt.Errorf("host %q is given twice: a bare URI is the host %q; name each of several hosts, as in --podman nas=ssh://…", s.name, s.name)
			}
			return nil, fmt.Errorf("host %q is given twice", s.name)
		}
		seen[s.name] = true
	}
	if err := assignIdentities(specs, identities); err != nil {
		return nil, err
	}
	return specs, nil
}

// parseHost reads NAME=URI or a bare URI.
func parseHost(s string) (hostSpec, error) {
	s = strings.TrimSpace(s)
	name, uri := lifecycle.DefaultHost, s
	if eq, scheme := strings.Index(s, "="), strings.Index(s, "://"); eq >= 0 && (scheme < 0 || eq < scheme) {
		name, uri = s[:eq], s[eq+1:]
		if err := lifecycle.ValidateHost(name); err != nil {
			// Its message without the web's "invalid request: ".
			return hostSpec{}, errors.New(strings.TrimPrefix(err.Error(), lifecycle.ErrInvalid.Error()+": "))
		}
	}
	scheme, _, ok := strings.Cut(uri, "://")
	if !ok || (scheme != "unix" && scheme != "tcp" && scheme != "ssh") {
		return hostSpec{}, fmt.Errorf("want a unix://, tcp:// or ssh:// URI, such as unix:///run/podman/podman.sock or nas=ssh://core@nas.lan/run/podman/podman.sock")
	}
	return hostSpec{name: name, uri: uri}, nil
}

// redactHost is a --podman value with its URI's password redacted: a
// NAME= before it does not parse as a URI.
func redactHost(s string) string {
	if eq, scheme := strings.Index(s, "="), strings.Index(s, "://"); eq >= 0 && (scheme < 0 || eq < scheme) {
		return s[:eq+1] + podman.Redact(s[eq+1:])
	}
	return podman.Redact(s)
}

// readHostsFile reads one host per line: NAME=URI, optionally followed by
// identity=FILE; blank lines and lines starting with # are skipped.
func readHostsFile(path string) ([]hostSpec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--hosts-file: %w", err)
	}
	defer f.Close()
	var specs []hostSpec
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		s, err := parseHost(fields[0])
		if err == nil && len(fields) > 2 {
			err = errors.New("want NAME=URI [identity=FILE]")
		}
		if err == nil && len(fields) == 2 {
			var ok bool
			if s.identity, ok = strings.CutPrefix(fields[1], "identity="); !ok || s.identity == "" {
				err = fmt.Errorf("%q: want identity=FILE", fields[1])
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		specs = append(specs, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--hosts-file: %w", err)
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("--hosts-file %s names no host", path)
	}
	return specs, nil
}

// assignIdentities gives each ssh:// host its identity file: NAME=FILE
// for one host, a bare FILE for the others. Every ssh:// host needs one:
// podboard logs in with a key only.
func assignIdentities(specs []hostSpec, identities []string) error {
	common := ""
	for _, id := range identities {
		name, file, named := strings.Cut(id, "=")
		i := -1
		for j := range specs {
			if named && specs[j].name == name {
				i = j
			}
		}
		switch {
		case named && i < 0:
			if lifecycle.ValidateHost(name) == nil {
				return fmt.Errorf("--podman-identity %s: no host %q", id, name)
			}
			common = id // a file name with a '='
		case named && !strings.HasPrefix(specs[i].uri, "ssh://"):
			return fmt.Errorf("--podman-identity %s: host %q is not reached over ssh://, so it takes no identity", id, name)
		case named:
			specs[i].identity = file
		default:
			common = id
		}
	}
	for i, s := range specs {
		if !strings.HasPrefix(s.uri, "ssh://") {
			continue
		}
		if s.identity == "" {
			specs[i].identity = common
		}
		if specs[i].identity == "" {
			return fmt.Errorf("--podman %s needs --podman-identity FILE (or %s=FILE): podboard logs in over SSH with a key only", podman.Redact(s.uri), s.name)
		}
	}
	return nil
}
