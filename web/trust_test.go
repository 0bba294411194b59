package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"podboard/lifecycle"
	"podboard/lifecycle/fake"
	"podboard/web"
	"podboard/web/auth"
	"podboard/web/webtest"
)

const (
	user     = "alice"
	password = "correct horse battery"
)

// signedIn is a dashboard in password mode with one user.
func signedIn(t testing.TB, opts ...webtest.Option) *webtest.Env {
	t.Helper()
	e := webtest.New(t, append([]webtest.Option{webtest.Containers(fake.Running("web")),
		webtest.Auth(auth.Config{Mode: auth.Password})}, opts...)...)
	e.AddUser(user, password)
	return e
}

func TestRequestsNamingAForeignHostAreRefusedAndChangeNothing(t *testing.T) {
	e := signedIn(t, webtest.Listen("127.0.0.1:8080", "dash.example.net", "pinned.example.net:8443", "192.0.2.7:8080", "[2001:db8::7]:8080", "dotted.example.net."))
	s := e.Login(user, password)
	port := strings.TrimPrefix(e.URL[strings.LastIndex(e.URL, ":"):], ":")
	evil := "evil.example:" + port
	tests := []struct {
		name, method, path string
		header             map[string]string
	}{
		{"a rebinding page's stop, same-origin by its own account", "POST", "/containers/web/stop",
			map[string]string{"Origin": "http://" + evil, "Sec-Fetch-Site": "same-origin"}},
		{"a rebinding page's stop with no fetch metadata", "POST", "/containers/web/stop",
			map[string]string{"Origin": "http://" + evil}},
		{"a rebinding page's stop with neither Origin nor fetch metadata", "POST", "/containers/web/stop", nil},
		{"the page", "GET", "/", nil},
		{"the API", "GET", "/api/containers", nil},
		{"the history", "GET", "/history", nil},
		{"the live feed", "GET", "/events", nil},
		{"the login page", "GET", "/login", nil},
		{"the health check", "GET", "/healthz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := s.NewRequest(tt.method, tt.path, webtest.HTMX)
			req.Host = evil
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			r := s.Send(req)
			if r.Status != http.StatusMisdirectedRequest || !strings.Contains(r.Body, "--allowed-hosts") {
				t.Fatalf("status %d, want 421 naming --allowed-hosts:\n%.300s", r.Status, r.Body)
			}
		})
	}
	if got := e.Container("web").State; got != lifecycle.Running {
		t.Errorf("web is %s after the refused requests, want running", got)
	}
	if calls := e.Engine.Calls(); strings.Contains(strings.Join(calls, " "), "stop") {
		t.Errorf("the engine was called: %v", calls)
	}

	for _, host := range []string{"localhost:1", "127.0.0.1:9999", "[::1]:80", "app.localhost", "dash.example.net:80", "DASH.example.net.", "pinned.example.net:8443", "192.0.2.7:1234", "[2001:db8::7]:8080", "dotted.example.net"} {
		req := s.NewRequest("GET", "/api/containers", webtest.JSON)
		req.Host = host
		if r := s.Send(req); r.Status != http.StatusOK {
			t.Errorf("Host %s: status %d, want 200: %.200s", host, r.Status, r.Body)
		}
	}
	for _, host := range []string{"pinned.example.net:80", "dash.example.net.evil.example", "10.9.8.7:8080"} {
		req := s.NewRequest("GET", "/api/containers", webtest.JSON)
		req.Host = host
		if r := s.Send(req); r.Status != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: status %d, want 421", host, r.Status)
		}
	}
}

func TestAStateChangeSentByAnotherSitesPageIsRefused(t *testing.T) {
	e := signedIn(t)
	s := e.Login(user, password)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://attacker.example"},
	} {
		req := s.NewRequest("POST", "/containers/web/stop", webtest.Form)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if r := s.Send(req); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "cross-origin") {
			t.Errorf("%v: status %d, want 403 cross-origin: %.200s", h, r.Status, r.Body)
		}
	}
	// A bulk action from another site's page too.
	bulk := s.NewRequest("POST", "/bulk", webtest.Form)
	bulk.Body = io.NopCloser(strings.NewReader("op=stop&name=web"))
	bulk.ContentLength = int64(len("op=stop&name=web"))
	bulk.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := s.Send(bulk); r.Status != http.StatusForbidden {
		t.Errorf("cross-site bulk stop: status %d, want 403", r.Status)
	}
	// A login form posted from another site is refused too: it would sign
	// the operator in as the attacker.
	req := s.NewRequest("POST", "/login", webtest.Form)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := s.Send(req); r.Status != http.StatusForbidden {
		t.Errorf("cross-site login: status %d, want 403", r.Status)
	}
	if got := e.Container("web").State; got != lifecycle.Running {
		t.Errorf("web is %s, want running", got)
	}
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	e := signedIn(t)
	s := e.Login(user, password)
	anon := webtest.Site{TB: t, URL: e.URL}
	tests := []struct {
		name string
		site webtest.Site
		req  func() *http.Request
	}{
		{"the page", s, func() *http.Request { return s.NewRequest("GET", "/", webtest.Page) }},
		{"a fragment", s, func() *http.Request { return s.NewRequest("POST", "/containers/web/restart", webtest.HTMX) }},
		{"the API", s, func() *http.Request { return s.NewRequest("GET", "/api/containers", webtest.JSON) }},
		{"the login page", anon, func() *http.Request { return anon.NewRequest("GET", "/login", webtest.Page) }},
		{"a redirect to the login page", anon, func() *http.Request {
			r := anon.NewRequest("GET", "/", webtest.Page)
			r.Header.Set("Accept", "text/html")
			return r
		}},
		{"a refusal", anon, func() *http.Request { return anon.NewRequest("GET", "/api/containers", webtest.JSON) }},
		{"a stylesheet", anon, func() *http.Request { return anon.NewRequest("GET", "/static/css/app.css", webtest.Page) }},
		{"a missing file", anon, func() *http.Request { return anon.NewRequest("GET", "/static/nope.js", webtest.Page) }},
		{"a foreign host", anon, func() *http.Request {
			r := anon.NewRequest("GET", "/healthz", webtest.Page)
			r.Host = "evil.example"
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.site.Send(tt.req())
			for k, want := range web.SecurityHeaders {
				if got := r.Header.Get(k); got != want {
					t.Errorf("status %d: %s = %q, want %q", r.Status, k, got, want)
				}
			}
		})
	}
	csp := web.SecurityHeaders["Content-Security-Policy"]
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("the policy lacks %s: %s", want, csp)
		}
	}
	// The page has no inline script or style for the policy to block, and
	// htmx is configured not to evaluate code or inject styles.
	for _, path := range []string{"/login", "/history", "/containers/web/history", "/sessions"} {
		site := s
		if path == "/login" {
			site = anon
		}
		if n := site.Get(path).Doc().Find("script:not([src]), style, [style], [onclick], [onload], [hx-on]").Length(); n > 0 {
			t.Errorf("%s has %d inline scripts, styles or handlers", path, n)
		}
	}
	page := s.Get("/")
	d := page.Doc()
	if n := d.Find("script:not([src]), style, [style], [onclick], [onload], [hx-on]").Length(); n > 0 {
		t.Errorf("the page has %d inline scripts, styles or handlers", n)
	}
	cfg, _ := d.Find(`meta[name="htmx-config"]`).Attr("content")
	for _, want := range []string{`"allowEval":false`, `"allowScriptTags":false`, `"includeIndicatorStyles":false`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("htmx config lacks %s: %s", want, cfg)
		}
	}
}

func TestEveryRouteButLoginStaticAndHealthNeedsASessionOrAToken(t *testing.T) {
	e := signedIn(t)
	anon := webtest.Site{TB: t, URL: e.URL}
	for _, p := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/rows"}, {"GET", "/history"}, {"GET", "/containers/web/history"},
		{"GET", "/api/containers"}, {"GET", "/events"}, {"GET", "/sessions"},
		{"POST", "/containers/web/stop"}, {"POST", "/containers/web/dismiss"}, {"POST", "/sessions/x/end"},
		{"POST", "/bulk"}, {"GET", "/containers/web"}, {"GET", "/containers/web/row"},
		{"GET", "/containers/web/logs.txt"}, {"GET", "/events?stream=containers&logs=web"},
	} {
		if r := anon.Do(p.method, p.path, webtest.JSON); r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: status %d, want 401 with WWW-Authenticate: %.200s", p.method, p.path, r.Status, r.Body)
		}
	}
	for _, path := range []string{"/login", "/static/js/app.js", "/healthz"} {
		if r := anon.Get(path); r.Status != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200", path, r.Status)
		}
	}
	// A browser is sent to the login page, and comes back after it.
	req := anon.NewRequest("GET", "/history", webtest.Page)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	r := anon.Send(req)
	if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape("/history") {
		t.Errorf("a browser: status %d to %q, want 303 to the login page", r.Status, loc)
	}
	if got := e.Container("web").State; got != lifecycle.Running {
		t.Errorf("web is %s, want running", got)
	}
}

func TestSigningInStartsAFreshSessionAndSigningOutEndsIt(t *testing.T) {
	e := signedIn(t)
	// A cookie planted before sign-in (session fixation) is not the
	// session's.
	planted := webtest.Site{TB: t, URL: e.URL}.With("Cookie", webtest.SessionCookie+"=planted-by-an-attacker")
	r := planted.LoginForm(user, password)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("sign-in: status %d to %q, want 303 to /", r.Status, r.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == webtest.SessionCookie {
			session = c
		}
	}
	if session == nil || session.Value == "planted-by-an-attacker" || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure {
		t.Fatalf("session cookie %+v: want a new value, HttpOnly, SameSite=Lax, not Secure without TLS", session)
	}
	if r := planted.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("the planted cookie: status %d, want 401", r.Status)
	}
	s := webtest.Site{TB: t, URL: e.URL}.With("Cookie", session.Name+"="+session.Value)
	if r := s.Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, user) {
		t.Fatalf("the page after sign-in: status %d, or without the user's name", r.Status)
	}
	if r := s.Get("/login?next=/history"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/history" {
		t.Errorf("the login page when signed in: status %d to %q, want 303 on to /history", r.Status, r.Header.Get("Location"))
	}
	if cc := s.Get("/").Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a signed-in page has Cache-Control %q, want no-store", cc)
	}
	// An action is recorded as the user's.
	if r := s.Post("/containers/web/restart", webtest.JSON); r.Status != http.StatusAccepted {
		t.Fatalf("restart: status %d", r.Status)
	}
	e.WaitIdle()
	if jobs := e.Jobs(); len(jobs) != 1 || jobs[0].Origin != user {
		t.Errorf("jobs %+v: want one, by %s", jobs, user)
	}

	if r := s.Post("/logout", webtest.Form); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?signed-out=1" {
		t.Fatalf("sign-out: status %d to %q", r.Status, r.Header.Get("Location"))
	}
	r = s.Post("/containers/web/stop", webtest.HTMX)
	if r.Status != http.StatusUnauthorized || r.Header.Get("HX-Redirect") != "/login?signed-out=1" {
		t.Errorf("htmx after sign-out: status %d, HX-Redirect %q; want 401 to the login page", r.Status, r.Header.Get("HX-Redirect"))
	}
	if d := r.Doc(); d.Find("[role=row]").Length() > 0 {
		t.Errorf("the refusal carries a fragment: %.200s", r.Body)
	}
	if got := s.Get("/login?signed-out=1"); !strings.Contains(got.Body, "signed out") {
		t.Errorf("the login page does not say signed out")
	}
}

func TestWrongCredentialsAreTheSameForAnyNameAndAreThrottled(t *testing.T) {
	e := signedIn(t)
	anon := webtest.Site{TB: t, URL: e.URL}
	unknown := anon.LoginForm("nobody", password)
	wrong := anon.LoginForm(user, "not the password")
	if unknown.Status != http.StatusUnauthorized || wrong.Status != unknown.Status {
		t.Fatalf("statuses %d and %d, want 401 both", unknown.Status, wrong.Status)
	}
	msg := func(r webtest.Response) string { return r.Doc().Find(`[data-testid="login-error"]`).Text() }
	if msg(unknown) != "Wrong user name or password." || msg(unknown) != msg(wrong) {
		t.Errorf("messages %q and %q: want the same, naming neither", msg(unknown), msg(wrong))
	}
	// Four more wrong passwords for alice use up her five tries.
	for range 4 {
		anon.LoginForm(user, "still wrong")
	}
	r := anon.LoginForm(user, password)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(msg(r), "Try again in") {
		t.Fatalf("after five failures: status %d, Retry-After %q, %q; want 429 try again in N s", r.Status, r.Header.Get("Retry-After"), msg(r))
	}
	// The address is throttled too, whatever the name: ten failures (six
	// so far; the throttled attempt was not charged to it).
	for i := range 4 {
		anon.LoginForm("someone"+string(rune('a'+i)), "wrong")
	}
	if r := anon.LoginForm("bob", "wrong"); r.Status != http.StatusTooManyRequests {
		t.Errorf("the eleventh failure from one address: status %d, want 429", r.Status)
	}
}

func TestAnEndedSessionSignsOutItsOpenLiveFeed(t *testing.T) {
	for _, end := range []struct {
		name string
		do   func(e *webtest.Env, s webtest.Site)
	}{
		{"the user is deleted by the command", func(e *webtest.Env, s webtest.Site) {
			if err := e.Accounts.DeleteUser(context.Background(), user); err != nil {
				t.Fatal(err)
			}
			e.Revalidate()
		}},
		{"the password is changed by the command", func(e *webtest.Env, s webtest.Site) {
			if err := e.Accounts.SetPassword(context.Background(), user, "a brand new password"); err != nil {
				t.Fatal(err)
			}
			e.Revalidate()
		}},
		{"the session is ended from another", func(e *webtest.Env, s webtest.Site) {
			other := webtest.Site{TB: t, URL: e.URL}.Login(user, password)
			page := other.Get("/sessions")
			id, ok := page.Doc().Find(`[data-testid="session"] form`).Attr("action")
			if !ok {
				t.Fatalf("no session to end on the sessions page:\n%.500s", page.Body)
			}
			if r := other.Post(id, webtest.Form); r.Status != http.StatusSeeOther {
				t.Fatalf("end the session: status %d", r.Status)
			}
		}},
		{"it signs out", func(e *webtest.Env, s webtest.Site) { s.Post("/logout", webtest.Form) }},
		{"the user is deleted and created again", func(e *webtest.Env, s webtest.Site) {
			if err := e.Accounts.DeleteUser(context.Background(), user); err != nil {
				t.Fatal(err)
			}
			e.AddUser(user, password) // the same name and password: a new user all the same
			e.Revalidate()
		}},
	} {
		t.Run(end.name, func(t *testing.T) {
			e := signedIn(t)
			s := e.Login(user, password)
			feed := s.Subscribe()
			end.do(e, s)
			feed.Next(0, "the signed-out notice", func(ev webtest.Event) bool {
				return strings.Contains(ev.Data, `data-testid="signed-out"`) && strings.Contains(ev.Data, `hx-swap-oob="outerHTML"`)
			})
			select {
			case <-feed.Ended():
			case <-time.After(webtest.Deadline):
				t.Fatal("the live feed is still open")
			}
			if r := s.Do("GET", "/events", webtest.JSON); r.Status != http.StatusUnauthorized {
				t.Errorf("reconnecting: status %d, want 401", r.Status)
			}
		})
	}
}

func TestABearerTokenWorksOnEveryRouteUntilDeleted(t *testing.T) {
	e := signedIn(t)
	tok := e.AddToken("backup-script")
	s := webtest.Site{TB: t, URL: e.URL}.Bearer(tok)
	feed := s.Subscribe()
	if got := s.API(); len(got) != 1 {
		t.Fatalf("API: %v", got)
	}
	if r := s.Post("/containers/web/stop", webtest.JSON); r.Status != http.StatusAccepted {
		t.Fatalf("stop with the token: status %d: %s", r.Status, r.Body)
	}
	feed.Next(0, "web stopped", webtest.IsRow("web", "stopped"))
	e.WaitIdle()
	if jobs := e.Jobs(); len(jobs) != 1 || jobs[0].Origin != "token:backup-script" {
		t.Errorf("jobs %+v: want one by token:backup-script", jobs)
	}
	for _, bad := range []string{"Bearer wrong", "Basic YWxpY2U6eA==", "Bearer"} {
		if r := s.With("Authorization", bad).Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", bad, r.Status)
		}
	}
	// Deleted and made again under its name: a new token, and the old one
	// is worth nothing.
	if err := e.Accounts.DeleteToken(context.Background(), "backup-script"); err != nil {
		t.Fatal(err)
	}
	e.AddToken("backup-script")
	if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("a deleted token: status %d, want 401", r.Status)
	}
	e.Revalidate()
	select {
	case <-feed.Ended():
	case <-time.After(webtest.Deadline):
		t.Fatal("the deleted token's live feed is still open")
	}
}

func TestAProxysUserIsTrustedOnlyFromTheTrustedProxies(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	elsewhere := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	t.Run("from the proxy", func(t *testing.T) {
		e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.Auth(auth.Config{Mode: auth.Proxy, TrustedProxies: loopback}))
		s := webtest.Site{TB: t, URL: e.URL}
		if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
			t.Errorf("no header from the proxy: status %d, want 401", r.Status)
		}
		s = s.With("Remote-User", "carol")
		if r := s.Post("/containers/web/restart", webtest.JSON); r.Status != http.StatusAccepted {
			t.Fatalf("restart: status %d", r.Status)
		}
		e.WaitIdle()
		if jobs := e.Jobs(); len(jobs) != 1 || jobs[0].Origin != "carol" {
			t.Errorf("jobs %+v: want one by carol", jobs)
		}
	})
	t.Run("the proxy's own Basic credentials are not a token", func(t *testing.T) {
		e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.Auth(auth.Config{Mode: auth.Proxy, TrustedProxies: loopback}))
		s := webtest.Site{TB: t, URL: e.URL}.With("Remote-User", "carol").With("Authorization", "Basic Y2Fyb2w6eA==")
		if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusOK {
			t.Errorf("status %d, want 200: %s", r.Status, r.Body)
		}
	})
	t.Run("a header the proxy added to the client's", func(t *testing.T) {
		e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.Auth(auth.Config{Mode: auth.Proxy, TrustedProxies: loopback}))
		s := webtest.Site{TB: t, URL: e.URL}
		req := s.NewRequest("GET", "/api/containers", webtest.JSON)
		req.Header.Add("Remote-User", "admin") // the client's
		req.Header.Add("Remote-User", "carol") // the proxy's
		if r := s.Send(req); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "more than one") {
			t.Errorf("two values: status %d, want 403: %s", r.Status, r.Body)
		}
		if r := s.With("Remote-User", "admin, carol").Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusForbidden {
			t.Errorf("a list: status %d, want 403", r.Status)
		}
	})
	t.Run("from anywhere else", func(t *testing.T) {
		e := webtest.New(t, webtest.Containers(fake.Running("web")), webtest.Auth(auth.Config{Mode: auth.Proxy, TrustedProxies: elsewhere}))
		s := webtest.Site{TB: t, URL: e.URL}.With("Remote-User", "carol")
		for _, p := range []string{"/api/containers", "/containers/web/stop"} {
			method := "GET"
			if strings.HasPrefix(p, "/containers") {
				method = "POST"
			}
			if r := s.Do(method, p, webtest.JSON); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "not a trusted proxy") {
				t.Errorf("%s %s: status %d, want 403: %s", method, p, r.Status, r.Body)
			}
		}
		if got := e.Container("web").State; got != lifecycle.Running {
			t.Errorf("web is %s, want running", got)
		}
	})
}

func TestWithNoUserTheLoginPageSaysHowToCreateOne(t *testing.T) {
	e := webtest.New(t, webtest.Auth(auth.Config{Mode: auth.Password}))
	r := webtest.Site{TB: t, URL: e.URL}.Get("/login")
	hint := r.Doc().Find(`[data-testid="no-users"] code`).Text()
	if want := "podboard user add NAME --password-stdin --data " + e.Dir; hint != want {
		t.Errorf("hint %q, want %q", hint, want)
	}
	e.AddUser(user, password)
	if r := (webtest.Site{TB: t, URL: e.URL}).Get("/login"); r.Doc().Find(`[data-testid="no-users"]`).Length() != 0 {
		t.Errorf("the hint is still shown with a user")
	}
}

func TestBodiesAndLiveFeedsAreBounded(t *testing.T) {
	e := signedIn(t)
	s := e.Login(user, password)
	req := s.NewRequest("POST", "/login", webtest.Form)
	req.ContentLength = web.MaxBody + 1
	req.Body = io.NopCloser(strings.NewReader(strings.Repeat("a", web.MaxBody+1)))
	if r := s.Send(req); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the limit: status %d, want 413", r.Status)
	}
	e.Hub.MaxFeedsPerClient = 2
	s.Subscribe()
	s.Subscribe()
	r := s.Do("GET", "/events", webtest.Page)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "too many live connections") {
		t.Errorf("a third feed from one client: status %d, want 503: %s", r.Status, r.Body)
	}
}

// clock is a test's time, moved by hand.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func TestASessionEndsUnusedForTheIdleTimeoutOrPastItsLifetime(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		c := newClock()
		e := signedIn(t, webtest.Auth(auth.Config{Mode: auth.Password, IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, Now: c.now}))
		s := e.Login(user, password)
		feed := s.Subscribe()
		for range 3 { // used every 59 minutes: it goes on
			c.advance(59 * time.Minute)
			if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusOK {
				t.Fatalf("used within the idle timeout: status %d: %s", r.Status, r.Body)
			}
		}
		c.advance(61 * time.Minute)
		e.Revalidate()
		feed.Next(0, "the signed-out notice", func(ev webtest.Event) bool { return strings.Contains(ev.Data, `data-testid="signed-out"`) })
		r := s.Do("GET", "/api/containers", webtest.JSON)
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "unused") {
			t.Errorf("after 61 minutes unused: status %d %q, want 401 saying unused", r.Status, r.Body)
		}
	})
	t.Run("lifetime", func(t *testing.T) {
		c := newClock()
		e := signedIn(t, webtest.Auth(auth.Config{Mode: auth.Password, IdleTimeout: time.Hour, Lifetime: 3 * time.Hour, Now: c.now}))
		s := e.Login(user, password)
		for range 3 {
			c.advance(50 * time.Minute)
			if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusOK {
				t.Fatalf("within its lifetime: status %d", r.Status)
			}
		}
		c.advance(40 * time.Minute) // 3 h 10 min after sign-in, in use all along
		r := s.Do("GET", "/api/containers", webtest.JSON)
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "after sign-in") {
			t.Errorf("past its lifetime: status %d %q, want 401", r.Status, r.Body)
		}
	})
}

func TestATrustedOriginMayActAndOthersMayNot(t *testing.T) {
	e := signedIn(t, webtest.TrustedOrigins("https://dash.example.net"))
	s := e.Login(user, password)
	for _, tt := range []struct {
		origin string
		status int
	}{{"https://dash.example.net", http.StatusAccepted}, {"https://other.example.net", http.StatusForbidden}} {
		req := s.NewRequest("POST", "/containers/web/restart", webtest.JSON)
		req.Header.Set("Origin", tt.origin)
		if r := s.Send(req); r.Status != tt.status {
			t.Errorf("Origin %s: status %d, want %d: %s", tt.origin, r.Status, tt.status, r.Body)
		}
		e.WaitIdle()
	}
}

func TestLiveFeedsAreCappedInAll(t *testing.T) {
	e := signedIn(t)
	s := e.Login(user, password)
	e.Hub.MaxFeeds = 3
	for range 3 {
		s.Subscribe()
	}
	r := s.Do("GET", "/events", webtest.Page)
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "the limit is 3") {
		t.Errorf("a fourth feed: status %d, want 503 naming the limit: %s", r.Status, r.Body)
	}
}

func TestUnderTLSTheSessionCookieIsSecure(t *testing.T) {
	e := signedIn(t, webtest.Auth(auth.Config{Mode: auth.Password, Secure: true}))
	r := webtest.Site{TB: t, URL: e.URL}.LoginForm(user, password)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == webtest.SessionCookie && c.Secure && c.HttpOnly {
			return
		}
	}
	t.Errorf("no Secure HttpOnly session cookie in %v", r.Header.Values("Set-Cookie"))
}

// from is a site whose requests a trusted proxy on loopback forwards for
// the client at addr.
func from(s webtest.Site, addr string) webtest.Site { return s.With("X-Forwarded-For", addr) }

func TestFailuresFromElsewhereDoNotLockAUserOut(t *testing.T) {
	e := signedIn(t, webtest.Auth(auth.Config{Mode: auth.Password, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}))
	anon := webtest.Site{TB: t, URL: e.URL}
	attacker := from(anon, "203.0.113.66")
	for range 5 {
		attacker.LoginForm(user, "guess")
	}
	if r := attacker.LoginForm(user, "guess"); r.Status != http.StatusTooManyRequests {
		t.Fatalf("the attacker's sixth try: status %d, want 429", r.Status)
	}
	// alice, from home, still signs in.
	from(anon, "192.0.2.10").Login(user, password)
	// Spread over addresses, failures reach the per-name limit (30), which
	// then lets one try through every 4 s.
	for i := range 30 {
		from(anon, fmt.Sprintf("198.51.100.%d", i+1)).LoginForm(user, "guess")
	}
	if r := from(anon, "198.51.100.200").LoginForm(user, "guess"); r.Status != http.StatusTooManyRequests {
		t.Errorf("past the per-name limit: status %d, want 429", r.Status)
	}
	// One IPv6 host holds a /64: its addresses share one budget.
	v6 := webtest.Site{TB: t, URL: e.URL}
	for i := range 10 {
		from(v6, fmt.Sprintf("2001:db8:1:2::%x", i+1)).LoginForm(fmt.Sprintf("someone%d", i), "guess")
	}
	if r := from(v6, "2001:db8:1:2::ffff").LoginForm("someone-else", "guess"); r.Status != http.StatusTooManyRequests {
		t.Errorf("an eleventh failure from the same /64: status %d, want 429", r.Status)
	}
}

func TestWithAuthNoneARequestAProxyForwardsForAnotherMachineIsRefused(t *testing.T) {
	e := webtest.New(t, webtest.Containers(fake.Running("web")),
		webtest.Auth(auth.Config{Mode: auth.None, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}))
	s := webtest.Site{TB: t, URL: e.URL}
	if r := s.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusOK {
		t.Errorf("from this machine: status %d, want 200", r.Status)
	}
	if r := from(s, "192.0.2.44").Post("/containers/web/stop", webtest.JSON); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "--auth none") {
		t.Errorf("forwarded for 192.0.2.44: status %d, want 403: %s", r.Status, r.Body)
	}
	if got := e.Container("web").State; got != lifecycle.Running {
		t.Errorf("web is %s, want running", got)
	}
}

func TestAChunkedLoginBodyOverTheLimitIs413(t *testing.T) {
	e := signedIn(t)
	s := webtest.Site{TB: t, URL: e.URL}
	req := s.NewRequest("POST", "/login", webtest.Form)
	req.Body = io.NopCloser(strings.NewReader("username=" + strings.Repeat("a", web.MaxBody)))
	req.ContentLength = -1 // chunked: the size is learnt while reading
	if r := s.Send(req); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413: %s", r.Status, r.Body)
	}
}

func TestTheSessionsPageListsLiveSessionsAndEndsThem(t *testing.T) {
	e := signedIn(t)
	old := e.Login(user, password)
	if err := e.Accounts.SetPassword(context.Background(), user, "the new password"); err != nil {
		t.Fatal(err)
	}
	s := e.Login(user, "the new password")
	other := e.Login(user, "the new password")
	rows := s.Get("/sessions").Doc().Find(`[data-testid="session"]`)
	if rows.Length() != 2 {
		t.Fatalf("%d sessions listed, want the two live ones (not the one the new password ended)", rows.Length())
	}
	if n := rows.Find("form").Length(); n != 1 {
		t.Errorf("%d End buttons, want one: this session is marked, not ended from here", n)
	}
	end, _ := rows.Find("form").Attr("action")
	if r := s.Post(end, webtest.Form); r.Status != http.StatusSeeOther {
		t.Fatalf("end: status %d", r.Status)
	}
	if r := other.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("the ended session: status %d, want 401", r.Status)
	}
	if r := old.Do("GET", "/api/containers", webtest.JSON); r.Status != http.StatusUnauthorized {
		t.Errorf("the session of the old password: status %d, want 401", r.Status)
	}
	if r := s.Post(end, webtest.Form); r.Status != http.StatusNotFound {
		t.Errorf("ending it again: status %d, want 404", r.Status)
	}
}
