// Package auth decides who is asking: a signed-in person (a server-side
// session in SQLite), a script (a bearer token), a user named by a trusted
// reverse proxy, or, on loopback only, anyone. It owns the users' and
// tokens' rules (names, password hashing, login throttling); db stores
// them.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"

	"podboard/db"
)

// Mode is how requests are authenticated.
type Mode string

const (
	// Password: people sign in at /login; scripts send a bearer token.
	Password Mode = "password"
	// Proxy: a reverse proxy at a trusted address authenticates people
	// and names them in a header; scripts may still send a token.
	Proxy Mode = "proxy"
	// None: everyone who reaches the port may act; loopback only.
	None Mode = "none"
)

// ParseMode validates a --auth value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Password, Proxy, None:
		return m, nil
	}
	return "", fmt.Errorf("%w auth mode %q: want password, proxy or none", ErrInvalid, s)
}

// Config is how the dashboard authenticates.
type Config struct {
	Mode           Mode
	ProxyHeader    string           // the header a trusted proxy names the user in
	TrustedProxies []netip.Prefix   // the addresses proxies connect from
	IdleTimeout    time.Duration    // a session unused this long ends
	Lifetime       time.Duration    // a session ends this long after sign-in, used or not
	Secure         bool             // the dashboard is served over TLS: cookies only go over TLS
	DataDir        string           // for the hint on how to create a user
	Now            func() time.Time // the clock of the timeouts; nil for time.Now
}

// Kind says how a principal was authenticated.
type Kind string

const (
	KindSession Kind = "session"
	KindToken   Kind = "token"
	KindProxy   Kind = "proxy"
	KindNone    Kind = "none"
)

// Principal is who is asking.
type Principal struct {
	Kind Kind
	Who  string // user name, "token:NAME", the proxy's user, or the client address
	// Session is the session's id (KindSession) or the token's hash
	// (KindToken, never reused, unlike its name): what ends the
	// principal's live feeds when it goes.
	Session string
}

type ctxKey struct{}

// From returns the principal that Require put in ctx, and whether there
// is one.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// Keys of a session's values.
const (
	keyUser  = "user"
	keyGen   = "gen"
	keySID   = "sid"
	keySince = "since"
	keySeen  = "seen"
	keyAddr  = "addr"
	keyAgent = "agent"
)

// Auth authenticates requests and signs people in and out.
type Auth struct {
	cfg    Config
	db     *db.DB
	sm     *scs.SessionManager
	store  *sqlite3store.SQLite3Store
	log    *slog.Logger
	now    func() time.Time
	byAddr *throttle
	byPair *throttle // a user name from one address
	byUser *throttle // a user name from anywhere
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "podboard_session"

// New returns the authentication of cfg over the database. Close it
// before closing the database.
func New(cfg Config, d *db.DB, log *slog.Logger) (*Auth, error) {
	if cfg.ProxyHeader == "" {
		cfg.ProxyHeader = "Remote-User"
	}
	if cfg.Mode == Proxy && len(cfg.TrustedProxies) == 0 {
		return nil, fmt.Errorf("%w: --auth proxy needs --trusted-proxies, the addresses your reverse proxy connects from (for example 127.0.0.1/32)", ErrInvalid)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Auth{
		cfg: cfg, db: d, log: log, now: cfg.Now,
		// Ten failures per address, then one every 6 s; five per user name
		// from one address, then one every 12 s; thirty per user name from
		// anywhere, then one every 4 s. A guessing attack gets a few hundred
		// tries an hour where a person who mistyped waits seconds, and
		// someone failing on purpose from elsewhere cannot lock the user
		// out for long.
		byAddr: newThrottle(6*time.Second, 10),
		byPair: newThrottle(12*time.Second, 5),
		byUser: newThrottle(4*time.Second, 30),
	}
	a.store = d.SessionStore(5 * time.Minute)
	sm := scs.New()
	sm.Store = a.store
	sm.HashTokenInStore = true
	// The idle timeout is kept here rather than by scs, which would write
	// the session back on every request to move its expiry: a click would
	// pay for a SQLite write. "seen" is written at most once a minute.
	sm.Lifetime = cfg.Lifetime
	sm.Cookie.Name = SessionCookie
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = cfg.Secure
	sm.Cookie.Path = "/"
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		log.Error("session store", "err", err, "path", r.URL.Path)
		http.Error(w, "podboard: the session store failed; see the dashboard's log", http.StatusInternalServerError)
	}
	a.sm = sm
	return a, nil
}

// Close stops the expired-session cleanup.
func (a *Auth) Close() { a.store.StopCleanup() }

// Mode is the configured mode.
func (a *Auth) Mode() Mode { return a.cfg.Mode }

// Sessions loads and saves the session of every request under it (in
// password mode; the other modes have no sessions).
func (a *Auth) Sessions(next http.Handler) http.Handler {
	if a.cfg.Mode != Password {
		return next
	}
	return a.sm.LoadAndSave(next)
}

// ErrUnauthenticated is a request with no valid credentials.
var ErrUnauthenticated = errors.New("not signed in")

// ErrForbidden is a request from where this mode accepts none.
var ErrForbidden = errors.New("forbidden")

// Authenticate says who r is from, or why not.
func (a *Auth) Authenticate(r *http.Request) (Principal, error) {
	ctx := r.Context()
	// Only a bearer token is ours: a proxy in front may pass on the Basic
	// credentials it checked, which then say nothing to podboard.
	if h := r.Header.Get("Authorization"); len(h) >= 6 && strings.EqualFold(h[:6], "bearer") {
		return a.bearer(ctx, h)
	}
	switch a.cfg.Mode {
	case None:
		// Loopback only: a proxy on this machine may forward others.
		c := ClientAddr(r, a.cfg.TrustedProxies)
		if !c.IsLoopback() {
			return Principal{}, fmt.Errorf("%w: podboard runs with --auth none, for this machine only, and %s is another; sign-in (--auth password) is needed for it", ErrForbidden, c)
		}
		return Principal{Kind: KindNone, Who: c.String()}, nil
	case Proxy:
		return a.proxyUser(r)
	}
	return a.session(ctx)
}

func (a *Auth) bearer(ctx context.Context, h string) (Principal, error) {
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" || len(tok) > 256 {
		return Principal{}, fmt.Errorf("%w: the Authorization header must be \"Bearer TOKEN\"", ErrUnauthenticated)
	}
	t, err := a.db.TokenByHash(ctx, tokenHash(strings.TrimSpace(tok)))
	if errors.Is(err, db.ErrNotFound) {
		return Principal{}, fmt.Errorf("%w: unknown or deleted token", ErrUnauthenticated)
	}
	if err != nil {
		return Principal{}, err
	}
	// Record the use, at most once a minute per token.
	if now := a.now(); now.Sub(t.LastUsed) > time.Minute {
		if err := a.db.TouchToken(ctx, t.Name, now); err != nil {
			a.log.Warn("record token use", "token", t.Name, "err", err)
		}
	}
	return Principal{Kind: KindToken, Who: "token:" + t.Name, Session: t.Hash}, nil
}

func (a *Auth) proxyUser(r *http.Request) (Principal, error) {
	peer := peerAddr(r)
	values := r.Header.Values(a.cfg.ProxyHeader)
	var user string
	if len(values) > 0 {
		user = values[0]
	}
	if !trusted(peer, a.cfg.TrustedProxies) {
		return Principal{}, fmt.Errorf("%w: podboard is in proxy mode and %s is not a trusted proxy: reach it through your reverse proxy (trusted: %s)", ErrForbidden, peer, prefixes(a.cfg.TrustedProxies))
	}
	if user == "" {
		return Principal{}, fmt.Errorf("%w: the proxy at %s sent no %s header", ErrUnauthenticated, peer, a.cfg.ProxyHeader)
	}
	// One value, set by the proxy: a proxy that adds its header rather
	// than replacing it would pass on the client's own first.
	if len(values) > 1 || strings.Contains(user, ",") {
		return Principal{}, fmt.Errorf("%w: the request carries more than one %s value: the proxy must replace the client's header, not add to it", ErrForbidden, a.cfg.ProxyHeader)
	}
	if len(user) > 128 || strings.ContainsFunc(user, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Principal{}, fmt.Errorf("%w: the proxy's %s header is not a user name", ErrForbidden, a.cfg.ProxyHeader)
	}
	return Principal{Kind: KindProxy, Who: user}, nil
}

// session checks the request's session: its user must still exist with
// the password it signed in with.
func (a *Auth) session(ctx context.Context) (Principal, error) {
	name := a.sm.GetString(ctx, keyUser)
	if name == "" {
		return Principal{}, ErrUnauthenticated
	}
	u, err := a.db.User(ctx, name)
	if errors.Is(err, db.ErrNotFound) || (err == nil && u.Gen != a.sm.GetInt64(ctx, keyGen)) {
		// Deleted, or its password changed since: the session is over.
		if err := a.sm.Destroy(ctx); err != nil {
			a.log.Warn("end session", "user", name, "err", err)
		}
		return Principal{}, fmt.Errorf("%w: the session of %s ended (user deleted or password changed)", ErrUnauthenticated, name)
	}
	if err != nil {
		return Principal{}, err
	}
	now := a.now()
	seen := a.timeOf(ctx, keySeen)
	if why := a.over(a.timeOf(ctx, keySince), seen, now); why != "" {
		if err := a.sm.Destroy(ctx); err != nil {
			a.log.Warn("end session", "user", name, "err", err)
		}
		return Principal{}, fmt.Errorf("%w: the session of %s ended %s", ErrUnauthenticated, name, why)
	}
	if now.Sub(seen) > seenEvery {
		a.sm.Put(ctx, keySeen, now.UnixNano())
	}
	return Principal{Kind: KindSession, Who: name, Session: a.sm.GetString(ctx, keySID)}, nil
}

// seenEvery is how often a session's last use is written: the idle
// timeout is exact to this.
const seenEvery = time.Minute

// over says why a session begun at since and last seen at seen has
// ended by now, "" when it has not: unused for the idle timeout, or older
// than its lifetime (which scs also enforces, by the store's expiry).
func (a *Auth) over(since, seen, now time.Time) string {
	switch {
	case a.cfg.IdleTimeout > 0 && now.Sub(seen) > a.cfg.IdleTimeout:
		return "after " + a.cfg.IdleTimeout.String() + " unused"
	case a.cfg.Lifetime > 0 && now.Sub(since) > a.cfg.Lifetime:
		return a.cfg.Lifetime.String() + " after sign-in"
	}
	return ""
}

// ErrBadLogin is a wrong user name or password. It does not say which.
var ErrBadLogin = errors.New("wrong user name or password")

// ThrottledError is a login refused because of too many failed attempts.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again in %d s", e.Seconds())
}

// Seconds is the wait, rounded up.
func (e *ThrottledError) Seconds() int { return int((e.Wait + time.Second - 1) / time.Second) }

// Login checks a user name and password and, when they match, starts a
// new session (with a new token: a token planted before sign-in is worth
// nothing after it). The request must have passed through Sessions.
func (a *Auth) Login(r *http.Request, name, password string) error {
	if a.cfg.Mode != Password {
		return fmt.Errorf("%w: sign-in is off: podboard runs with --auth %s", ErrForbidden, a.cfg.Mode)
	}
	ctx := r.Context()
	now := a.now()
	addr := ClientAddr(r, a.cfg.TrustedProxies).String()
	client := ClientKey(r, a.cfg.TrustedProxies)
	key := strings.ToLower(truncate(name, 64))
	var refunds []func()
	refund := func() {
		for _, f := range refunds {
			f()
		}
	}
	for _, b := range []struct {
		t   *throttle
		key string
	}{{a.byAddr, client}, {a.byPair, key + "\x00" + client}, {a.byUser, key}} {
		wait, give := b.t.take(b.key, now)
		if wait > 0 {
			refund()
			return &ThrottledError{Wait: wait}
		}
		refunds = append(refunds, give)
	}
	u, err := a.db.User(ctx, name)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		refund()
		return err
	}
	hash := u.Hash
	if err != nil || len(password) > MaxPassword {
		// The same work whether or not the user exists.
		var derr error
		if hash, derr = dummyHash(); derr != nil {
			refund()
			return derr
		}
	}
	ok, verr := verifyPassword(ctx, password, hash)
	if verr != nil {
		refund()
		return verr
	}
	if !ok || err != nil || len(password) > MaxPassword {
		a.log.Warn("sign-in failed", "user", name, "from", addr)
		return ErrBadLogin
	}
	refund()
	if err := a.sm.RenewToken(ctx); err != nil {
		return err
	}
	a.sm.Put(ctx, keyUser, u.Name)
	a.sm.Put(ctx, keyGen, u.Gen)
	a.sm.Put(ctx, keySID, rand16())
	a.sm.Put(ctx, keySince, now.UnixNano())
	a.sm.Put(ctx, keySeen, now.UnixNano())
	a.sm.Put(ctx, keyAddr, addr)
	a.sm.Put(ctx, keyAgent, truncate(r.UserAgent(), 160))
	a.log.Info("signed in", "user", u.Name, "from", addr)
	return nil
}

// Logout ends the request's session and returns its id ("" if none).
func (a *Auth) Logout(r *http.Request) (string, error) {
	if a.cfg.Mode != Password {
		return "", nil
	}
	ctx := r.Context()
	sid, user := a.sm.GetString(ctx, keySID), a.sm.GetString(ctx, keyUser)
	if err := a.sm.Destroy(ctx); err != nil {
		return "", err
	}
	if user != "" {
		a.log.Info("signed out", "user", user)
	}
	return sid, nil
}

// Session is one signed-in browser, as the sessions page lists it.
type Session struct {
	ID      string
	User    string
	Since   time.Time
	Seen    time.Time
	Expires time.Time // the absolute end; the idle timeout may end it sooner
	Addr    string
	Agent   string
}

// ListSessions returns every live session, newest first.
func (a *Auth) ListSessions(ctx context.Context) ([]Session, error) {
	if a.cfg.Mode != Password {
		return nil, nil
	}
	gens, err := a.gens(ctx)
	if err != nil {
		return nil, err
	}
	var out []Session
	err = a.sm.Iterate(ctx, func(c context.Context) error {
		s := Session{
			ID: a.sm.GetString(c, keySID), User: a.sm.GetString(c, keyUser),
			Since: a.timeOf(c, keySince), Seen: a.timeOf(c, keySeen), Expires: a.sm.Deadline(c),
			Addr: a.sm.GetString(c, keyAddr), Agent: a.sm.GetString(c, keyAgent),
		}
		if !a.valid(c, gens) {
			return nil // nobody signed in with it, or it has ended
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	sortSessions(out)
	return out, nil
}

// EndSession ends the session with id; false when there is none.
func (a *Auth) EndSession(ctx context.Context, id string) (bool, error) {
	if a.cfg.Mode != Password || id == "" {
		return false, nil
	}
	var key string
	err := a.sm.Iterate(ctx, func(c context.Context) error {
		if a.sm.GetString(c, keySID) == id {
			key = a.sm.Token(c) // the store's key: the token's hash
		}
		return nil
	})
	if err != nil || key == "" {
		return false, err
	}
	if err := a.store.Delete(key); err != nil {
		return false, fmt.Errorf("end session: %w", err)
	}
	return true, nil
}

// Live returns a check of whether a principal's credentials still hold:
// its session still exists with its user's current password, its token
// was not deleted. The hub asks it of every open live feed from time to
// time, since a session also ends by expiry or by a command run in
// another process.
func (a *Auth) Live(ctx context.Context) (func(Principal) bool, error) {
	sessions := map[string]bool{}
	if a.cfg.Mode == Password {
		gens, err := a.gens(ctx)
		if err != nil {
			return nil, err
		}
		err = a.sm.Iterate(ctx, func(c context.Context) error {
			if a.valid(c, gens) {
				sessions[a.sm.GetString(c, keySID)] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	tokens := map[string]bool{}
	ts, err := a.db.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		tokens[t.Hash] = true
	}
	return func(p Principal) bool {
		switch p.Kind {
		case KindSession:
			return sessions[p.Session]
		case KindToken:
			return tokens[p.Session]
		}
		return true
	}, nil
}

// HasUsers reports whether anyone can sign in yet.
func (a *Auth) HasUsers(ctx context.Context) (bool, error) {
	n, err := a.db.CountUsers(ctx)
	return n > 0, err
}

// CreateUserHint is the command that creates the first user.
func (a *Auth) CreateUserHint() string {
	return "podboard user add NAME --password-stdin --data " + a.cfg.DataDir
}

// timeOf reads a time the session keeps as Unix nanoseconds (gob, scs's
// codec, stores no time.Time inside an interface without registering it).
func (a *Auth) timeOf(ctx context.Context, key string) time.Time {
	n := a.sm.GetInt64(ctx, key)
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// gens maps every user to its Gen.
func (a *Auth) gens(ctx context.Context) (map[string]int64, error) {
	users, err := a.db.Users(ctx)
	if err != nil {
		return nil, err
	}
	gens := map[string]int64{}
	for _, u := range users {
		gens[u.Name] = u.Gen
	}
	return gens, nil
}

// valid reports whether the session in c still holds: its user exists
// with the password it signed in with, and it has not passed its idle
// timeout or its lifetime. It is session's check, for the sessions a
// request did not bring.
func (a *Auth) valid(c context.Context, gens map[string]int64) bool {
	g, ok := gens[a.sm.GetString(c, keyUser)]
	return ok && g == a.sm.GetInt64(c, keyGen) && a.over(a.timeOf(c, keySince), a.timeOf(c, keySeen), a.now()) == ""
}
