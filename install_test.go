package main

// The ways podboard is installed: the systemd unit in deploy/, read as
// systemd reads it.

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// unitFile is a systemd unit file (or a Quadlet file, which has the same
// syntax) as systemd reads it: sections of keys, each key as often as it
// is given, comments and continued lines joined.
type unitFile struct {
	path     string
	sections map[string][][2]string // section → key, value in order
}

func readUnitFile(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{path: path, sections: map[string][][2]string{}}
	section, pending := "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		line, pending = pending+line, ""
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: %q is not a key=value in a section", path, n, line)
		}
		u.sections[section] = append(u.sections[section], [2]string{strings.TrimSpace(key), strings.TrimSpace(value)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// all is every value of key in section, in order.
func (u unitFile) all(section, key string) []string {
	var vs []string
	for _, kv := range u.sections[section] {
		if kv[0] == key {
			vs = append(vs, kv[1])
		}
	}
	return vs
}

// last is key's value in section as systemd takes it: the last one given.
func (u unitFile) last(section, key string) string {
	vs := u.all(section, key)
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// words is every space-separated word of key's values in section.
func (u unitFile) words(section, key string) []string {
	var ws []string
	for _, v := range u.all(section, key) {
		ws = append(ws, strings.Fields(v)...)
	}
	return ws
}

// seconds reads a systemd time span of whole seconds ("700", "700s",
// "11min 40s").
func seconds(t *testing.T, span string) int {
	t.Helper()
	total := 0
	for _, w := range strings.Fields(span) {
		unit := strings.TrimLeft(w, "0123456789")
		n, err := strconv.Atoi(strings.TrimSuffix(w, unit))
		mult := map[string]int{"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}[unit]
		if err != nil || mult == 0 {
			t.Fatalf("time span %q: want whole seconds or minutes", span)
		}
		total += n * mult
	}
	return total
}

// The longest a shutdown waits for an operation: a bitcoin node's clean
// stop (600 s) plus the default --op-grace (60 s).
const longestStopWait = 660

func TestTheSystemdUnitStartsTheBinaryHardenedAfterPodmansSocket(t *testing.T) {
	u := readUnitFile(t, "deploy/podboard.service")
	want := map[string]map[string]string{
		"Unit":    {},
		"Service": {"StateDirectory": "podboard", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/podboard", "Restart": "on-failure", "KillMode": "mixed", "ProtectHome": "yes", "PrivateTmp": "yes"},
		"Install": {"WantedBy": "multi-user.target"},
	}
	for section, keys := range want {
		for k, v := range keys {
			if got := u.last(section, k); got != v {
				t.Errorf("[%s] %s=%q, want %q", section, k, got, v)
			}
		}
	}
	if !slices.Contains(u.words("Unit", "After"), "podman.socket") {
		t.Errorf("After=%q: podboard must start after Podman's socket", u.all("Unit", "After"))
	}
	if !slices.Contains(append(u.words("Unit", "Wants"), u.words("Unit", "Requires")...), "podman.socket") {
		t.Error("neither Wants= nor Requires= podman.socket: starting podboard would not start Podman's socket")
	}
	for _, family := range []string{"AF_UNIX", "AF_INET", "AF_INET6"} {
		if !slices.Contains(u.words("Service", "RestrictAddressFamilies"), family) {
			t.Errorf("RestrictAddressFamilies=%q lacks %s", u.last("Service", "RestrictAddressFamilies"), family)
		}
	}
	if s := seconds(t, u.last("Service", "TimeoutStopSec")); s <= longestStopWait {
		t.Errorf("TimeoutStopSec=%ds: systemd would kill podboard while it waits up to %ds for a stop to end", s, longestStopWait)
	}

	// The command line is one the binary accepts, with the state
	// directory systemd gives it.
	exe := strings.Fields(u.last("Service", "ExecStart"))
	if len(exe) == 0 || exe[0] != "/usr/local/bin/podboard" {
		t.Fatalf("ExecStart=%q, want /usr/local/bin/podboard …", u.last("Service", "ExecStart"))
	}
	args := strings.Fields(strings.ReplaceAll(strings.Join(exe[1:], " "), "${STATE_DIRECTORY}", "/var/lib/podboard"))
	cfg, err := parseConfig(args, func(string) string { return "" })
	if err != nil {
		t.Fatalf("ExecStart's flags %q: %v", args, err)
	}
	if cfg.podman != "unix:///run/podman/podman.sock" || cfg.data != "/var/lib/podboard" || !isLoopback(cfg.listen) {
		t.Errorf("ExecStart serves %s from %s with data in %s; want loopback, the rootful socket and the state directory", cfg.listen, cfg.podman, cfg.data)
	}

	// systemd's own check, where systemd-analyze is installed: with the
	// path of a real binary, as it also checks that the command exists.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit is not verified by systemd")
		return
	}
	b, err := os.ReadFile(u.path)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "podboard.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/podboard", buildBinary(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
