package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"

	"podboard/db"
)

// The argon2id cost: one of OWASP's equivalent settings for argon2id
// (7 MiB, five passes, one lane), the one that uses least memory, a few
// tens of milliseconds per sign-in on a small server. The memory is
// handed back to the system after each hash (see release): a dashboard
// that idles at tens of megabytes must not keep a hash's worth after each
// sign-in. Hashes carry their own parameters, so changing these later
// keeps old passwords working.
var hashParams = &argon2id.Params{Memory: 7 * 1024, Iterations: 5, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Limits on what an operator may choose.
const (
	MinPassword = 8
	MaxPassword = 1024
)

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ErrInvalid marks input that breaks a rule; its text says which.
var ErrInvalid = errors.New("invalid")

// CheckName validates a user or token name: 1 to 64 letters, digits, '.',
// '_', '@' or '-', starting with a letter or digit.
func CheckName(what, name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%w %s name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", ErrInvalid, what, name)
	}
	return nil
}

// CheckPassword validates a new password's length.
func CheckPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPassword:
		return fmt.Errorf("%w password: it has %d characters; use at least %d", ErrInvalid, utf8.RuneCountInString(pw), MinPassword)
	case len(pw) > MaxPassword:
		return fmt.Errorf("%w password: use at most %d bytes", ErrInvalid, MaxPassword)
	}
	return nil
}

// hashing bounds how many argon2id hashes run at once: each takes 7 MiB.
var hashing = make(chan struct{}, min(4, runtime.NumCPU()))

func hashPassword(pw string) (string, error) {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	defer release()
	return argon2id.CreateHash(pw, hashParams)
}

// release hands the memory of the hashes just done back to the system
// once none runs: the Go runtime would keep it for minutes. Sign-ins are
// rare (and throttled), so the collection this forces costs nothing that
// matters.
func release() {
	if len(hashing) == 1 { // only the caller's own turn is taken
		debug.FreeOSMemory()
	}
}

// dummyHash is a hash of nothing anyone can type, to compare a password
// with when its user does not exist: a sign-in takes the same time
// whether or not the name is known. Made on first use, so that a
// dashboard nobody signs in to never pays for it.
var dummyHash = sync.OnceValues(func() (string, error) { return hashPassword(rand16()) })

// ErrBusy is a sign-in that waited too long for its turn to hash: the
// server is flooded with sign-ins.
var ErrBusy = errors.New("too many sign-ins at once")

// hashWait bounds how long a sign-in waits for its turn to hash.
const hashWait = 5 * time.Second

// verifyPassword compares pw with a stored hash in constant time, once
// its turn to hash comes (within hashWait, while ctx lasts).
func verifyPassword(ctx context.Context, pw, hash string) (bool, error) {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case hashing <- struct{}{}:
	case <-t.C:
		return false, ErrBusy
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-hashing }()
	defer release()
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	return err == nil && ok, nil
}

// tokenPrefix marks podboard's tokens, so that a leaked one is easy to
// recognise in a log or a repository.
const tokenPrefix = "pbt_"

// newToken returns a fresh bearer token: 256 random bits.
func newToken() string {
	return tokenPrefix + rand.Text() + rand.Text()
}

// tokenHash is what the database keeps of a token. A token has 256 bits
// of entropy, so a fast hash is enough: nobody can guess one to match.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Accounts manages users and tokens: the commands `podboard user …` and
// `podboard token …` call it, while the dashboard may be running on the
// same database.
type Accounts struct {
	DB  *db.DB
	Now func() time.Time
}

func (a Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// AddUser creates a user with a password.
func (a Accounts) AddUser(ctx context.Context, name, password string) error {
	if err := CheckName("user", name); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	if err := a.DB.AddUser(ctx, name, h, a.now()); errors.Is(err, db.ErrExists) {
		return fmt.Errorf("user %q already exists: change its password with podboard user passwd %s --password-stdin", name, name)
	} else if err != nil {
		return err
	}
	return nil
}

// SetPassword changes a user's password; the user's sessions end.
func (a Accounts) SetPassword(ctx context.Context, name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	return notFound(a.DB.SetPassword(ctx, name, h), "user", name)
}

// DeleteUser removes a user; its sessions end.
func (a Accounts) DeleteUser(ctx context.Context, name string) error {
	return notFound(a.DB.DeleteUser(ctx, name), "user", name)
}

// Users lists the users.
func (a Accounts) Users(ctx context.Context) ([]db.User, error) { return a.DB.Users(ctx) }

// AddToken creates a token called name and returns it: the only time it
// can be read, since only its hash is kept.
func (a Accounts) AddToken(ctx context.Context, name string) (string, error) {
	if err := CheckName("token", name); err != nil {
		return "", err
	}
	tok := newToken()
	if err := a.DB.AddToken(ctx, name, tokenHash(tok), a.now()); errors.Is(err, db.ErrExists) {
		return "", fmt.Errorf("token %q already exists: delete it first with podboard token del %s", name, name)
	} else if err != nil {
		return "", err
	}
	return tok, nil
}

// DeleteToken removes a token; requests that carry it are refused from
// then on, and its live feeds end.
func (a Accounts) DeleteToken(ctx context.Context, name string) error {
	return notFound(a.DB.DeleteToken(ctx, name), "token", name)
}

// Tokens lists the tokens (their names and use, never the tokens).
func (a Accounts) Tokens(ctx context.Context) ([]db.Token, error) { return a.DB.Tokens(ctx) }

func notFound(err error, what, name string) error {
	if errors.Is(err, db.ErrNotFound) {
		return fmt.Errorf("no %s %q: see podboard %s list", what, name, what)
	}
	return err
}
