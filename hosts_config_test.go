package main

// The Podman hosts as the operator names them, without Podman: --podman
// NAME=URI (repeatable, a bare URI being the host "local"), the
// environment's PODBOARD_PODMAN, a hosts file, and the identity files of
// the ssh:// hosts; and the message of each thing refused.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// schemeMsg is parseHost's word on a URI that is not unix://, tcp:// or
// ssh://.
const schemeMsg = "want a unix://, tcp:// or ssh:// URI, such as unix:///run/podman/podman.sock or nas=ssh://core@nas.lan/run/podman/podman.sock"

// badName is ValidateHost's word on name, as parseHost gives it.
func badName(name string) string {
	return fmt.Sprintf("%q is not a valid host name (want lowercase letters, digits and '-', at most 63, such as nas-2)", name)
}

// specsString is specs as "name=uri" (with " identity=FILE" when it has
// one), joined by " | ".
func specsString(specs []hostSpec) string {
	var out []string
	for _, s := range specs {
		line := s.name + "=" + s.uri
		if s.identity != "" {
			line += " identity=" + s.identity
		}
		out = append(out, line)
	}
	return strings.Join(out, " | ")
}

// hostsFile writes a hosts file holding text and returns its path.
func hostsFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// manyHosts is n --podman values h0=unix:///s0 … in order.
func manyHosts(n int) []string {
	var args []string
	for i := range n {
		args = append(args, fmt.Sprintf("h%d=unix:///s%d", i, i))
	}
	return args
}

func TestParseHostReadsANamedOrABareURI(t *testing.T) {
	long := strings.Repeat("a", 63)
	for _, tt := range []struct {
		in, want string // want: "name=uri"
	}{
		{"unix:///run/podman/podman.sock", "local=unix:///run/podman/podman.sock"},
		{"tcp://host.example:8888", "local=tcp://host.example:8888"},
		{"ssh://core@nas.lan:2222/run/podman/podman.sock", "local=ssh://core@nas.lan:2222/run/podman/podman.sock"},
		{"nas=ssh://core@nas.lan/run/podman/podman.sock", "nas=ssh://core@nas.lan/run/podman/podman.sock"},
		{"  a=unix:///x  ", "a=unix:///x"},
		{"nas-2=tcp://h:1", "nas-2=tcp://h:1"},
		{"0=unix:///x", "0=unix:///x"},
		{long + "=unix:///x", long + "=unix:///x"},
		// A '=' after the scheme is the URI's own (a password, a query).
		{"tcp://core:p=w@h:1", "local=tcp://core:p=w@h:1"},
		{"a=tcp://core:p=w@h:1", "a=tcp://core:p=w@h:1"},
		{"unix:///run/x.sock?a=b", "local=unix:///run/x.sock?a=b"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			s, err := parseHost(tt.in)
			if err != nil {
				t.Fatalf("parseHost(%q): %v", tt.in, err)
			}
			if got := specsString([]hostSpec{s}); got != tt.want {
				t.Fatalf("parseHost(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseHostRefusesABadNameOrSchemeSayingWhatItWants(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, tt := range []struct {
		name, in, want string
	}{
		{"an uppercase name", "NAS=unix:///x", badName("NAS")},
		{"a name with '/'", "a/b=unix:///x", badName("a/b")},
		{"a name of 64 characters", long + "=unix:///x", badName(long)},
		{"an empty name", "=unix:///x", badName("")},
		{"a name starting with '-'", "-a=unix:///x", badName("-a")},
		{"a name with '_'", "a_b=unix:///x", badName("a_b")},
		{"a name with '.'", "nas.lan=unix:///x", badName("nas.lan")},
		{"http", "http://h:80", schemeMsg},
		{"https after a name", "a=https://h", schemeMsg},
		{"a socket path without a scheme", "/run/podman/podman.sock", schemeMsg},
		{"a name with a bare path", "a=/run/podman/podman.sock", schemeMsg},
		{"unix: without //", "unix:/run/podman/podman.sock", schemeMsg},
		{"an uppercase scheme", "UNIX:///run/podman/podman.sock", schemeMsg},
		{"a name without a URI", "a=", schemeMsg},
		{"nothing", "", schemeMsg},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseHost(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("parseHost(%q) = %+v, %v; want the error %q", tt.in, s, err, tt.want)
			}
		})
	}
}

func TestParseHostsReadsTheHostsAndTheirIdentities(t *testing.T) {
	const def = "unix:///run/user/1000/podman/podman.sock"
	for _, tt := range []struct {
		name       string
		args       []string
		file       string // hosts file text; "" for none
		identities []string
		want       string
	}{
		{"nothing given is the default alone", nil, "", nil, "local=" + def},
		{"a bare URI is the host local", []string{"unix:///a"}, "", nil, "local=unix:///a"},
		{"named hosts in the order given", []string{"b=unix:///b", "a=tcp://h:1", "c=unix:///c"}, "", nil,
			"b=unix:///b | a=tcp://h:1 | c=unix:///c"},
		{"a bare URI among named ones", []string{"unix:///a", "nas=unix:///n"}, "", nil, "local=unix:///a | nas=unix:///n"},
		{"64 hosts", manyHosts(64), "", nil, specsString(func() []hostSpec {
			var s []hostSpec
			for i := range 64 {
				s = append(s, hostSpec{name: fmt.Sprintf("h%d", i), uri: fmt.Sprintf("unix:///s%d", i)})
			}
			return s
		}())},
		{"one identity for every ssh host, none for the others",
			[]string{"a=unix:///a", "b=ssh://u@b/s", "c=ssh://u@c:2222/s"}, "", []string{"/keys/id"},
			"a=unix:///a | b=ssh://u@b/s identity=/keys/id | c=ssh://u@c:2222/s identity=/keys/id"},
		{"an identity named for one host, the bare one for the rest",
			[]string{"b=ssh://u@b/s", "c=ssh://u@c/s"}, "", []string{"c=/keys/c", "/keys/id"},
			"b=ssh://u@b/s identity=/keys/id | c=ssh://u@c/s identity=/keys/c"},
		{"the bare identity given before the named one",
			[]string{"b=ssh://u@b/s", "c=ssh://u@c/s"}, "", []string{"/keys/id", "c=/keys/c"},
			"b=ssh://u@b/s identity=/keys/id | c=ssh://u@c/s identity=/keys/c"},
		{"a bare ssh URI takes the identity", []string{"ssh://u@h/s"}, "", []string{"/keys/id"},
			"local=ssh://u@h/s identity=/keys/id"},
		{"a file name with '=' that names no host is the bare identity",
			[]string{"b=ssh://u@b/s"}, "", []string{"/keys/id=ed25519"},
			"b=ssh://u@b/s identity=/keys/id=ed25519"},
		{"a hosts file", nil, "# the NAS and the pi\n\na=unix:///a\nb=ssh://u@b/s identity=/keys/b\n", nil,
			"a=unix:///a | b=ssh://u@b/s identity=/keys/b"},
		{"a hosts file's identity is kept over the bare one", nil, "b=ssh://u@b/s identity=/keys/b\nc=ssh://u@c/s\n",
			[]string{"/keys/id"}, "b=ssh://u@b/s identity=/keys/b | c=ssh://u@c/s identity=/keys/id"},
		{"an identity named for a host replaces its hosts file's", nil, "b=ssh://u@b/s identity=/keys/b\n",
			[]string{"b=/keys/other"}, "b=ssh://u@b/s identity=/keys/other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := ""
			if tt.file != "" {
				file = hostsFile(t, tt.file)
			}
			specs, err := parseHosts(tt.args, file, tt.identities, def)
			if err != nil {
				t.Fatalf("parseHosts(%q, %q, %q): %v", tt.args, tt.file, tt.identities, err)
			}
			if got := specsString(specs); got != tt.want {
				t.Fatalf("parseHosts(%q, %q, %q) =\n  %s\nwant\n  %s", tt.args, tt.file, tt.identities, got, tt.want)
			}
		})
	}
}

func TestParseHostsRefusesWhatCannotBeHostsWithAClearMessage(t *testing.T) {
	file := hostsFile(t, "a=unix:///a\n")
	for _, tt := range []struct {
		name       string
		args       []string
		file       string
		identities []string
		want       string
	}{
		{"a name given twice", []string{"a=unix:///x", "a=unix:///y"}, "", nil, `host "a" is given twice`},
		{"two bare URIs", []string{"unix:///x", "tcp://h:1"}, "", nil,
			`host "local" is given twice: a bare URI is the host "local"; name each of several hosts, as in --podman nas=ssh://…`},
		{"a bare URI and the host local", []string{"unix:///x", "local=unix:///y"}, "", nil,
			`host "local" is given twice: a bare URI is the host "local"; name each of several hosts, as in --podman nas=ssh://…`},
		{"an uppercase name", []string{"a=unix:///a", "NAS=unix:///n"}, "", nil, "--podman NAS=unix:///n: " + badName("NAS")},
		{"a name with '/'", []string{"a/b=unix:///x"}, "", nil, "--podman a/b=unix:///x: " + badName("a/b")},
		{"a bad scheme", []string{"a=unix:///a", "b=http://h"}, "", nil, "--podman b=http://h: " + schemeMsg},
		{"--podman and --hosts-file together", []string{"b=unix:///b"}, file, nil,
			"--podman (or PODBOARD_PODMAN) and --hosts-file (or PODBOARD_HOSTS_FILE) both name hosts: give one of them"},
		{"65 hosts", manyHosts(65), "", nil, "65 hosts: at most 64"},
		{"an ssh host without an identity", []string{"a=unix:///a", "nas=ssh://core@nas.lan/run/podman/podman.sock"}, "", nil,
			"--podman ssh://core@nas.lan/run/podman/podman.sock needs --podman-identity FILE (or nas=FILE): podboard logs in over SSH with a key only"},
		{"an identity named for another ssh host only", []string{"b=ssh://u@b/s", "c=ssh://u@c/s"}, "", []string{"c=/keys/c"},
			"--podman ssh://u@b/s needs --podman-identity FILE (or b=FILE): podboard logs in over SSH with a key only"},
		{"an identity for an unknown host", []string{"a=ssh://u@a/s"}, "", []string{"/keys/id", "c=/keys/c"},
			`--podman-identity c=/keys/c: no host "c"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := parseHosts(tt.args, tt.file, tt.identities, "unix:///default")
			if err == nil || err.Error() != tt.want {
				t.Fatalf("parseHosts(%q, %q, %q) = %s, %v\nwant the error %q", tt.args, tt.file, tt.identities, specsString(specs), err, tt.want)
			}
		})
	}
}

func TestAnErrorOnAHostNeverShowsItsPassword(t *testing.T) {
	for _, arg := range []string{
		"http://core:s3cret@h:80",   // a bare URI of a bad scheme
		"a=http://core:s3cret@h:80", // a named one
		"NAS=tcp://core:s3cret@h:1", // a bad name
	} {
		t.Run(arg, func(t *testing.T) {
			_, err := parseHosts([]string{arg}, "", nil, "unix:///default")
			if err == nil {
				t.Fatalf("parseHosts(%q) accepted it", arg)
			}
			if msg := err.Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, "core:xxxxx@h") {
				t.Fatalf("parseHosts(%q): %q, want the URI with its password shown as xxxxx", arg, msg)
			}
		})
	}
	_, err := parseHosts([]string{"b=ssh://core:s3cret@b/s"}, "", nil, "unix:///default")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("an ssh host without an identity: %v, want an error without the password", err)
	}
}

func TestReadHostsFileReadsOneHostALine(t *testing.T) {
	for _, tt := range []struct {
		name, text, want string
	}{
		{"comments and blank lines are skipped",
			"# hosts\n\n   # indented comment\na=unix:///a\n\nb=tcp://h:1\n",
			"a=unix:///a | b=tcp://h:1"},
		{"an identity, after spaces or a tab",
			"a=ssh://u@a/s identity=/keys/a\nb=ssh://u@b/s\tidentity=/keys/b\n",
			"a=ssh://u@a/s identity=/keys/a | b=ssh://u@b/s identity=/keys/b"},
		{"CRLF line ends and no final newline", "a=unix:///a\r\nb=unix:///b", "a=unix:///a | b=unix:///b"},
		{"leading and trailing space", "   a=unix:///a   \n", "a=unix:///a"},
		{"a bare URI is the host local", "unix:///a\n", "local=unix:///a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := readHostsFile(hostsFile(t, tt.text))
			if err != nil {
				t.Fatalf("readHostsFile(%q): %v", tt.text, err)
			}
			if got := specsString(specs); got != tt.want {
				t.Fatalf("readHostsFile(%q) = %s, want %s", tt.text, got, tt.want)
			}
		})
	}
}

func TestReadHostsFileNamesThePathAndLineOfWhatItRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       string // after "PATH:"; or the whole message with PATH in it
	}{
		{"a bad name on line 3, after a comment and a blank line", "# hosts\n\nNAS=unix:///n\n", "3: " + badName("NAS")},
		{"a bad scheme", "a=unix:///a\nb=http://h\n", "2: " + schemeMsg},
		{"a third field", "a=ssh://u@a/s identity=/k extra\n", "1: want NAME=URI [identity=FILE]"},
		{"a comment after the host", "a=unix:///a # the NAS\n", "1: want NAME=URI [identity=FILE]"},
		{"a second field that is not identity=", "a=ssh://u@a/s key=/k\n", `1: "key=/k": want identity=FILE`},
		{"an empty identity", "a=ssh://u@a/s identity=\n", `1: "identity=": want identity=FILE`},
		{"a bare file after the host", "a=ssh://u@a/s /keys/a\n", `1: "/keys/a": want identity=FILE`},
		{"no host at all", "# nothing yet\n\n", "--hosts-file PATH names no host"},
		{"an empty file", "", "--hosts-file PATH names no host"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := hostsFile(t, tt.text)
			want := path + ":" + tt.want
			if strings.Contains(tt.want, "PATH") {
				want = strings.ReplaceAll(tt.want, "PATH", path)
			}
			specs, err := readHostsFile(path)
			if err == nil || err.Error() != want {
				t.Fatalf("readHostsFile(%q) = %s, %v\nwant the error %q", tt.text, specsString(specs), err, want)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "nowhere")
	if _, err := readHostsFile(missing); err == nil || err.Error() != "--hosts-file: open "+missing+": no such file or directory" {
		t.Fatalf("readHostsFile of a missing file: %v", err)
	}
}

func TestAssignIdentitiesGivesEachSSHHostItsKey(t *testing.T) {
	hosts := func() []hostSpec {
		return []hostSpec{{name: "a", uri: "unix:///a"}, {name: "b", uri: "ssh://u@b/s"}, {name: "c", uri: "ssh://u@c/s", identity: "/file/c"}}
	}
	for _, tt := range []struct {
		name       string
		identities []string
		want       string // or the error
	}{
		{"the bare one for b, c keeps its own", []string{"/keys/id"}, "a=unix:///a | b=ssh://u@b/s identity=/keys/id | c=ssh://u@c/s identity=/file/c"},
		{"named ones for both", []string{"b=/keys/b", "c=/keys/c"}, "a=unix:///a | b=ssh://u@b/s identity=/keys/b | c=ssh://u@c/s identity=/keys/c"},
		{"none for b", nil, "--podman ssh://u@b/s needs --podman-identity FILE (or b=FILE): podboard logs in over SSH with a key only"},
		{"one for a host that is not there", []string{"d=/keys/d"}, `--podman-identity d=/keys/d: no host "d"`},
		{"a file whose name has a '=' before which no host name is", []string{"./keys/b=1"},
			"a=unix:///a | b=ssh://u@b/s identity=./keys/b=1 | c=ssh://u@c/s identity=/file/c"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			specs := hosts()
			var got string
			if err := assignIdentities(specs, tt.identities); err != nil {
				got = err.Error()
			} else {
				got = specsString(specs)
			}
			if got != tt.want {
				t.Fatalf("assignIdentities(%q) = %s\nwant %s", tt.identities, got, tt.want)
			}
		})
	}
}

func TestParseConfigTakesTheHostsFromFlagsEnvironmentOrFile(t *testing.T) {
	file := hostsFile(t, "# two\nf1=unix:///f1\nf2=ssh://u@f2/s identity=/keys/f2\n")
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"CONTAINER_HOST when nothing names a host", nil, nil, "local=unix:///from/container-host"},
		{"a bare --podman", []string{"--podman", "unix:///x"}, nil, "local=unix:///x"},
		{"repeated --podman, with an identity for one",
			[]string{"--podman", "a=unix:///a", "--podman=b=ssh://u@b/s", "--podman-identity", "b=/keys/b"}, nil,
			"a=unix:///a | b=ssh://u@b/s identity=/keys/b"},
		{"PODBOARD_PODMAN, comma-separated", nil, map[string]string{"PODBOARD_PODMAN": " a=unix:///a , b=tcp://h:1,"},
			"a=unix:///a | b=tcp://h:1"},
		{"--podman wins over PODBOARD_PODMAN", []string{"--podman", "c=unix:///c"}, map[string]string{"PODBOARD_PODMAN": "a=unix:///a,b=unix:///b"},
			"c=unix:///c"},
		{"--hosts-file", []string{"--hosts-file", file}, nil, "f1=unix:///f1 | f2=ssh://u@f2/s identity=/keys/f2"},
		{"--hosts-file wins over PODBOARD_PODMAN", []string{"--hosts-file", file}, map[string]string{"PODBOARD_PODMAN": "a=unix:///a"},
			"f1=unix:///f1 | f2=ssh://u@f2/s identity=/keys/f2"},
		{"--podman wins over PODBOARD_HOSTS_FILE", []string{"--podman", "c=unix:///c"}, map[string]string{"PODBOARD_HOSTS_FILE": file},
			"c=unix:///c"},
		{"--podman, comma-separated", []string{"--podman", "a=unix:///a,b=unix:///b"}, nil, "a=unix:///a | b=unix:///b"},
		{"PODBOARD_HOSTS_FILE", nil, map[string]string{"PODBOARD_HOSTS_FILE": file}, "f1=unix:///f1 | f2=ssh://u@f2/s identity=/keys/f2"},
		{"PODBOARD_PODMAN_IDENTITY, comma-separated",
			[]string{"--podman", "a=ssh://u@a/s", "--podman", "b=ssh://u@b/s"}, map[string]string{"PODBOARD_PODMAN_IDENTITY": "b=/keys/b, /keys/id"},
			"a=ssh://u@a/s identity=/keys/id | b=ssh://u@b/s identity=/keys/b"},
		{"--podman-identity wins over PODBOARD_PODMAN_IDENTITY",
			[]string{"--podman", "a=ssh://u@a/s", "--podman-identity", "/keys/flag"}, map[string]string{"PODBOARD_PODMAN_IDENTITY": "/keys/env"},
			"a=ssh://u@a/s identity=/keys/flag"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if v, ok := tt.env[k]; ok {
					return v
				}
				if k == "CONTAINER_HOST" {
					return "unix:///from/container-host"
				}
				return ""
			}
			c, err := parseConfig(tt.args, getenv)
			if err != nil {
				t.Fatalf("parseConfig(%q): %v", tt.args, err)
			}
			if got := specsString(c.hosts); got != tt.want {
				t.Fatalf("parseConfig(%q) hosts =\n  %s\nwant\n  %s", tt.args, got, tt.want)
			}
			if c.podman != c.hosts[0].uri {
				t.Errorf("config.podman = %q, want the first host's URI %q", c.podman, c.hosts[0].uri)
			}
		})
	}
}

func TestParseConfigRefusesBadHostsWithAClearMessage(t *testing.T) {
	file := hostsFile(t, "a=unix:///a\nb=ssh://u@b/s identity=/keys/b\n")
	badFile := hostsFile(t, "a=unix:///a\n\nb=ftp://h\n")
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"a host given twice", []string{"--podman", "a=unix:///x", "--podman", "a=unix:///y"}, nil, `host "a" is given twice`},
		{"two bare URIs", []string{"--podman", "unix:///x", "--podman", "unix:///y"}, nil,
			`host "local" is given twice: a bare URI is the host "local"; name each of several hosts, as in --podman nas=ssh://…`},
		{"two bare URIs in PODBOARD_PODMAN", nil, map[string]string{"PODBOARD_PODMAN": "unix:///x,unix:///y"},
			`host "local" is given twice: a bare URI is the host "local"; name each of several hosts, as in --podman nas=ssh://…`},
		{"an uppercase name", []string{"--podman", "Nas=unix:///x"}, nil, "--podman Nas=unix:///x: " + badName("Nas")},
		{"a bad scheme in PODBOARD_PODMAN", nil, map[string]string{"PODBOARD_PODMAN": "a=unix:///a,b=http://h"}, "--podman b=http://h: " + schemeMsg},
		{"--podman and --hosts-file", []string{"--podman", "a=unix:///a", "--hosts-file", file}, nil,
			"--podman (or PODBOARD_PODMAN) and --hosts-file (or PODBOARD_HOSTS_FILE) both name hosts: give one of them"},
		{"PODBOARD_PODMAN and PODBOARD_HOSTS_FILE", nil, map[string]string{"PODBOARD_PODMAN": "a=unix:///a", "PODBOARD_HOSTS_FILE": file},
			"--podman (or PODBOARD_PODMAN) and --hosts-file (or PODBOARD_HOSTS_FILE) both name hosts: give one of them"},
		{"an ssh host without identity", []string{"--podman", "a=unix:///a", "--podman", "b=ssh://u@b/s"}, nil,
			"--podman ssh://u@b/s needs --podman-identity FILE (or b=FILE): podboard logs in over SSH with a key only"},
		{"an identity for an unknown host", []string{"--podman", "a=unix:///a", "--podman-identity", "z=/keys/z"}, nil,
			`--podman-identity z=/keys/z: no host "z"`},
		{"an identity for a host not reached over ssh", []string{"--podman", "a=unix:///a", "--podman-identity", "a=/keys/a"}, nil,
			`--podman-identity a=/keys/a: host "a" is not reached over ssh://, so it takes no identity`},
		{"an identity for an unknown host in PODBOARD_PODMAN_IDENTITY", []string{"--podman", "a=unix:///a"},
			map[string]string{"PODBOARD_PODMAN_IDENTITY": "z=/keys/z"}, `--podman-identity z=/keys/z: no host "z"`},
		{"65 hosts", func() []string {
			var args []string
			for _, h := range manyHosts(65) {
				args = append(args, "--podman", h)
			}
			return args
		}(), nil, "65 hosts: at most 64"},
		{"a hosts file's bad line", []string{"--hosts-file", badFile}, nil, badFile + ":3: " + schemeMsg},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(tt.args, func(k string) string { return tt.env[k] })
			if err == nil || err.Error() != tt.want {
				t.Fatalf("parseConfig(%q) = %v\nwant the error %q", tt.args, err, tt.want)
			}
		})
	}
}
