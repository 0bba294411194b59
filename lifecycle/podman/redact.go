package podman

import (
	"cmp"
	"errors"
	"net/url"
	"slices"
	"strings"
)

// hidden stands for a password wherever an operator would read it.
const hidden = "xxxxx"

// Redact returns uri with its password, if it has one, shown as "xxxxx"
// (ssh://user:xxxxx@host/run/podman/podman.sock): the address goes into
// the page footer, the logs and error messages, the password nowhere. A
// URI that does not parse, or has no password, is returned unchanged.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.User == nil {
		return uri
	}
	if _, ok := u.User.Password(); !ok {
		return uri
	}
	return u.Redacted()
}

// passwordForms returns the spellings in which uri's password can show up
// in an error text, longest first: as written in the URI (even one that
// does not parse, which the bindings quote back in full), decoded, and
// escaped again as Go's url package writes it. None when it has no
// password.
func passwordForms(uri string) []string {
	var forms []string
	add := func(s string) {
		if s != "" && !slices.Contains(forms, s) {
			forms = append(forms, s)
		}
	}
	add(rawPassword(uri))
	if u, err := url.Parse(uri); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
			add(strings.TrimPrefix(url.UserPassword("", pw).String(), ":"))
		}
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return forms
}

// rawPassword is the password of "scheme://user:password@host/…" as
// written, found the way net/url finds the user information: in the
// authority, before its last "@".
func rawPassword(uri string) string {
	_, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}

// scrub returns err with every form of the password replaced by "xxxxx" in
// its text. The result still matches what err matched with errors.Is
// (lifecycle.ErrUnreachable, context.DeadlineExceeded, …), but does not
// unwrap: the original error, whose text carries the password, cannot be
// reached from it.
func scrub(err error, passwords []string) error {
	if err == nil || len(passwords) == 0 {
		return err
	}
	msg := err.Error()
	clean := msg
	for _, pw := range passwords {
		clean = strings.ReplaceAll(clean, pw, hidden)
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

func (e *scrubbedError) Is(target error) bool { return errors.Is(e.err, target) }
