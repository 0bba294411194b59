package lifecycle_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"podboard/lifecycle"
)

// FuzzParseOp: an operation name is one of the known ops exactly, or an
// ErrInvalid that quotes it; a typo never becomes an operation.
func FuzzParseOp(f *testing.F) {
	for _, s := range []string{"stop", "start", "restart", "kill", "Stop", "stop ", "", "restart\x00", "st\u00f6p", "../stop"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		op, err := lifecycle.ParseOp(s)
		known := s == "stop" || s == "start" || s == "restart" || s == "kill"
		switch {
		case known && (err != nil || string(op) != s):
			t.Fatalf("ParseOp(%q) = %q, %v; want the op", s, op, err)
		case !known && (err == nil || !errors.Is(err, lifecycle.ErrInvalid) || op != ""):
			t.Fatalf("ParseOp(%q) = %q, %v; want ErrInvalid", s, op, err)
		}
	})
}

// FuzzValidateName: an accepted name is one Podman accepts too, short, and
// safe in a path, a log line and an HTML id.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"web", "bitcoin-core", "a_b.c", "", ".", "..", "-x", "a/b", "a b", "a\nb", "we\"b", strings.Repeat("a", 254), "naïve", "x\x1b[31m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := lifecycle.ValidateName(s)
		if err != nil {
			if !errors.Is(err, lifecycle.ErrInvalid) {
				t.Fatalf("ValidateName(%q) = %v, want ErrInvalid", s, err)
			}
			return
		}
		if len(s) == 0 || len(s) > 253 || !utf8.ValidString(s) || strings.ContainsAny(s, "/\\ \t\r\n\"'<>&\x00\x1b") || s[0] == '-' || s[0] == '.' {
			t.Fatalf("ValidateName accepted %q", s)
		}
	})
}
