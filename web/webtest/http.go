package webtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Kind is how a request announces the answer it wants, as the three
// clients of the dashboard do.
type Kind string

const (
	// Page is a browser's plain navigation or fetch: no special header.
	Page Kind = ""
	// HTMX is a request made by htmx (HX-Request): it gets fragments.
	HTMX Kind = "htmx"
	// Form is a plain form submitted without JavaScript: it gets a
	// redirect or a whole page.
	Form Kind = "plain form"
	// JSON is a script asking for application/json.
	JSON Kind = "json"
)

// Site is a dashboard's HTTP surface as a client sees it: the Env's own
// server, or any other (the real binary in the root tests) when built by
// hand: webtest.Site{TB: t, URL: url, Client: client}.
type Site struct {
	TB     testing.TB
	URL    string       // base URL, without a trailing slash
	Client *http.Client // nil: a client that follows no redirects
	// Header is sent with every request: the session cookie of a Login,
	// an Authorization of a token.
	Header http.Header
}

// With returns the site sending header name: value with every request.
func (s Site) With(name, value string) Site {
	h := s.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(name, value)
	s.Header = h
	return s
}

// Bearer returns the site sending token as a bearer token, as scripts do.
func (s Site) Bearer(token string) Site { return s.With("Authorization", "Bearer "+token) }

// Login signs in through POST /login as a browser's form does and returns
// the site that sends the session cookie; anything but the 303 of a
// successful sign-in fails the test.
func (s Site) Login(user, password string) Site {
	s.TB.Helper()
	r := s.LoginForm(user, password)
	if r.Status != http.StatusSeeOther {
		s.TB.Fatalf("sign in as %s: status %d, want 303:\n%.400s", user, r.Status, r.Body)
	}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == SessionCookie {
			return s.With("Cookie", c.Name+"="+c.Value)
		}
	}
	s.TB.Fatalf("sign in as %s: no %s cookie in %v", user, SessionCookie, r.Header.Values("Set-Cookie"))
	return s
}

// LoginForm posts the sign-in form and returns the answer.
func (s Site) LoginForm(user, password string) Response {
	s.TB.Helper()
	form := url.Values{"username": {user}, "password": {password}}
	req, err := http.NewRequest(http.MethodPost, s.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		s.TB.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range s.Header {
		req.Header[k] = v
	}
	return s.Send(req)
}

// Subscribe opens the site's live feed with its headers.
func (s Site) Subscribe() *Stream {
	s.TB.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/events", nil)
	if err != nil {
		s.TB.Fatal(err)
	}
	for k, v := range s.Header {
		req.Header[k] = v
	}
	return SubscribeRequest(s.TB, streamClient, req)
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   string

	tb testing.TB
}

// Doc parses the answer's body as HTML.
func (r Response) Doc() *Doc {
	r.tb.Helper()
	return Parse(r.tb, r.Body)
}

// NewRequest builds a request for path as a client of kind sends it, for a
// test that adds headers of its own before Send.
func (s Site) NewRequest(method, path string, kind Kind) *http.Request {
	s.TB.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		s.TB.Fatalf("%s %s: %v", method, path, err)
	}
	for k, v := range s.Header {
		req.Header[k] = v
	}
	switch kind {
	case HTMX:
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Current-URL", s.URL+"/")
		if name, ok := containerOf(path); ok {
			req.Header.Set("HX-Target", RowID(name))
		}
	case Form:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case JSON:
		req.Header.Set("Accept", "application/json")
	}
	return req
}

// containerOf is the container a /containers/{name}/… path names.
func containerOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/containers/")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "/")
	return name, ok && name != ""
}

var noRedirects = &http.Client{
	Timeout:       Deadline,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Send sends req and reads the whole answer; a transport error fails the
// test.
func (s Site) Send(req *http.Request) Response {
	s.TB.Helper()
	client := s.Client
	if client == nil {
		client = noRedirects
	}
	resp, err := client.Do(req)
	if err != nil {
		s.TB.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.TB.Fatalf("%s %s: read the answer: %v", req.Method, req.URL.Path, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b), tb: s.TB}
}

// Do sends method on path as a client of kind.
func (s Site) Do(method, path string, kind Kind) Response {
	s.TB.Helper()
	return s.Send(s.NewRequest(method, path, kind))
}

// Post posts to path as a client of kind (an action, a dismiss).
func (s Site) Post(path string, kind Kind) Response {
	s.TB.Helper()
	return s.Do(http.MethodPost, path, kind)
}

// PostForm posts form to path as a client of kind: an htmx form, a plain
// form or a script.
func (s Site) PostForm(path string, kind Kind, form url.Values) Response {
	s.TB.Helper()
	req := s.NewRequest(http.MethodPost, path, kind)
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.Send(req)
}

// Get gets path as a browser does.
func (s Site) Get(path string) Response {
	s.TB.Helper()
	return s.Do(http.MethodGet, path, Page)
}

// API returns GET /api/containers, failing the test on anything but 200.
func (s Site) API() []APIContainer {
	s.TB.Helper()
	r := s.Get("/api/containers")
	if r.Status != http.StatusOK {
		s.TB.Fatalf("GET /api/containers: %d\n%s", r.Status, r.Body)
	}
	return Decode[[]APIContainer](s.TB, r)
}

// APIContainer returns name as GET /api/containers reports it; ok is false
// when it is not listed.
func (s Site) APIContainer(name string) (APIContainer, bool) {
	s.TB.Helper()
	for _, c := range s.API() {
		if c.Name == name {
			return c, true
		}
	}
	return APIContainer{}, false
}

// Decode decodes a JSON answer, failing the test when it is not JSON.
func Decode[T any](tb testing.TB, r Response) T {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("Content-Type = %q, want application/json", ct)
	}
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		tb.Fatalf("decode %q: %v", r.Body, err)
	}
	return v
}

// APIContainer is a container as the JSON API reports it: the API's
// contract, written down from the client's side.
type APIContainer struct {
	Host        string     `json:"host"`
	Name        string     `json:"name"`
	ID          string     `json:"id"`
	Image       string     `json:"image"`
	State       string     `json:"state"`
	PodmanState string     `json:"podman_state"`
	Status      string     `json:"status"`
	ExitCode    int        `json:"exit_code"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
	StopTimeout int        `json:"stop_timeout"`
	Health      *string    `json:"health"`
	Error       string     `json:"error"`
	Job         *APIJob    `json:"job"`
}

// APIJob is the operation in flight on a container.
type APIJob struct {
	ID        int64     `json:"id"`
	Op        string    `json:"op"`
	StartedAt time.Time `json:"started_at"`
	PrevState string    `json:"prev_state"`
}

// APIError is the JSON answer of a refused or failed request.
type APIError struct {
	Error     string        `json:"error"`
	Container *APIContainer `json:"container"`
}
