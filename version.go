package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and revision are set at link time by make release and the
// Containerfile (-ldflags "-X main.version=… -X main.revision=…"): a
// container build has no .git for the Go toolchain to read. Left empty,
// both come from what the toolchain stamped into the binary.
var version, revision string

const versionUsage = `usage: podboard version    (or podboard --version)
Prints the version, the commit it was built from when known, and the Go version.`

// buildVersion is the version podboard reports (never empty: "dev" when
// nothing says more) and the commit it was built from ("" when unknown).
func buildVersion() (v, rev string) {
	v, rev = version, revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if rev == "" && s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	return v, rev
}

// versionLine is `podboard version`'s one line, such as
// "podboard v0.3.0-5-gabc123 (abc123def456, go1.26.8)".
func versionLine() string {
	v, rev := buildVersion()
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		return fmt.Sprintf("podboard %s (%s)", v, runtime.Version())
	}
	return fmt.Sprintf("podboard %s (%s, %s)", v, rev, runtime.Version())
}

// runVersion runs `podboard version` (args[0] is "version" or
// "--version") and returns the exit code: 0 done, 2 misused.
func runVersion(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 1:
		fmt.Fprintln(stdout, versionLine())
		return 0
	case len(args) == 2 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help"):
		fmt.Fprintln(stdout, versionUsage)
		return 0
	}
	fmt.Fprintf(stderr, "podboard: %s takes no arguments\n%s\n", args[0], versionUsage)
	return 2
}
