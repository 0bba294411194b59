package auth

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"podboard/db"
)

func TestNamesAndPasswordsFollowTheRules(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"alice", true}, {"a", true}, {"ci.backup-2", true}, {"ops@home", true}, {strings.Repeat("x", 64), true},
		{"", false}, {"-x", false}, {".x", false}, {"a b", false}, {"a/b", false}, {"a\x1b", false},
		{strings.Repeat("x", 65), false}, {"naïve", false},
	}
	for _, tt := range tests {
		if err := CheckName("user", tt.name); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("CheckName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	for _, tt := range []struct {
		pw string
		ok bool
	}{{"12345678", true}, {"1234567", false}, {"", false}, {strings.Repeat("p", MaxPassword), true}, {strings.Repeat("p", MaxPassword+1), false}} {
		if err := CheckPassword(tt.pw); (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%d bytes) = %v, want ok %v", len(tt.pw), err, tt.ok)
		}
	}
}

func TestThrottleChargesFailuresAndGivesSuccessesBack(t *testing.T) {
	th := newThrottle(10*time.Second, 3)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if wait, _ := th.take("k", now); wait != 0 {
			t.Fatalf("attempt %d throttled", i+1)
		}
	}
	wait, _ := th.take("k", now)
	if wait <= 0 || wait > 10*time.Second {
		t.Fatalf("the fourth attempt waits %s, want up to 10s", wait)
	}
	if wait, _ := th.take("other", now); wait != 0 {
		t.Errorf("another key is throttled")
	}
	if wait, _ := th.take("k", now.Add(10*time.Second)); wait != 0 {
		t.Errorf("no attempt back after 10s")
	}
	// A success is refunded: a person who signs in often is never throttled.
	th2 := newThrottle(time.Hour, 2)
	for range 10 {
		wait, refund := th2.take("k", now)
		if wait != 0 {
			t.Fatal("successful attempts were charged")
		}
		refund()
	}
}

func TestClientAddrBelievesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxies, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", "192.0.2.1"},             // not a proxy: the header is the client's
		{"127.0.0.1:5000", "203.0.113.9", "203.0.113.9"},           // from the proxy
		{"127.0.0.1:5000", "6.6.6.6, 203.0.113.9", "203.0.113.9"},  // the first entry is forgeable
		{"127.0.0.1:5000", "203.0.113.9, 10.1.2.3", "203.0.113.9"}, // through two proxies
		{"127.0.0.1:5000", "garbage", "127.0.0.1"},
		{"[::ffff:127.0.0.1]:5000", "203.0.113.9", "203.0.113.9"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := ClientAddr(r, proxies).String(); got != tt.want {
			t.Errorf("%s with X-Forwarded-For %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
	if _, err := ParsePrefixes("10.0.0.0/33"); err == nil {
		t.Error("an invalid CIDR was accepted")
	}
	if got, _ := ParsePrefixes(""); len(got) != 0 {
		t.Errorf("empty list parsed as %v", got)
	}
}

func TestTokensAndPasswordsAreStoredHashed(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "podboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	acc := Accounts{DB: d}
	if err := acc.AddUser(ctx, "alice", "a long password"); err != nil {
		t.Fatal(err)
	}
	if err := acc.AddUser(ctx, "alice", "another password"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second alice: %v, want already exists", err)
	}
	u, err := d.User(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.Hash, "$argon2id$") || strings.Contains(u.Hash, "a long password") || !must(verifyPassword(ctx, "a long password", u.Hash)) || must(verifyPassword(ctx, "a long passwore", u.Hash)) {
		t.Errorf("hash %q is not an argon2id hash of the password", u.Hash)
	}
	tok, err := acc.AddToken(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := acc.Tokens(ctx)
	if err != nil || len(ts) != 1 || ts[0].Hash == tok || ts[0].Hash != tokenHash(tok) || !strings.HasPrefix(tok, tokenPrefix) || len(tok) < 50 {
		t.Errorf("tokens %+v for %q: want one, stored as its hash", ts, tok)
	}
	if err := acc.DeleteToken(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Errorf("deleting a missing token: %v", err)
	}
	if err := acc.SetPassword(ctx, "alice", "short"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a short password: %v, want ErrInvalid", err)
	}
}
