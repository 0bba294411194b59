package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// versionLineRE is `podboard version`'s line: the version, the commit when
// known, the Go version.
var versionLineRE = regexp.MustCompile(`^podboard (\S+) \((?:([0-9a-f]{1,12}), )?(go\S+)\)$`)

func TestVersionPrintsTheStampedVersionTheCommitAndTheGoVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "podboard")
	ldflags := "-X main.version=v1.2.3-4-gabcdef0 -X main.revision=abcdef0123456789abcdef"
	if out, err := exec.Command("go", "build", "-tags", buildTags, "-ldflags", ldflags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	want := "podboard v1.2.3-4-gabcdef0 (abcdef012345, " + runtime.Version() + ")\n"
	for _, arg := range []string{"version", "--version", "-version"} {
		if code, out, errOut := runBin(t, bin, "", arg); code != 0 || out != want || errOut != "" {
			t.Errorf("podboard %s: exit %d, stdout %q, stderr %q; want 0 and %q", arg, code, out, errOut, want)
		}
	}
	if code, out, _ := runBin(t, bin, "", "version", "--help"); code != 0 || !strings.Contains(out, "usage: podboard version") {
		t.Errorf("podboard version --help: exit %d, %q; want 0 and the usage", code, out)
	}
	for _, args := range [][]string{{"version", "extra"}, {"version", "--data", "x"}, {"--version", "--listen", "127.0.0.1:0"}} {
		if code, out, errOut := runBin(t, bin, "", args...); code != 2 || out != "" || !strings.Contains(errOut, "takes no arguments") || !strings.Contains(errOut, "usage: podboard version") {
			t.Errorf("podboard %s: exit %d, stdout %q, stderr %q; want 2 and the usage", strings.Join(args, " "), code, out, errOut)
		}
	}
}

func TestVersionOfAnUnstampedBuildSaysWhatTheToolchainKnows(t *testing.T) {
	code, out, errOut := runBin(t, buildBinary(t), "", "version")
	m := versionLineRE.FindStringSubmatch(strings.TrimSuffix(out, "\n"))
	if code != 0 || m == nil || m[3] != runtime.Version() {
		t.Fatalf("podboard version: exit %d, %q (%s); want one line matching %s", code, out, errOut, versionLineRE)
	}
	// A plain go build has no -X: the module's version from the toolchain,
	// else "dev"; never empty or "(devel)".
	if m[1] == "(devel)" || m[1] == "" {
		t.Errorf("version %q", m[1])
	}
}
