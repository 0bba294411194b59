package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"podboard/web/webtest"
)

// FuzzLoginForm posts arbitrary bodies to POST /login: the answer is a
// sign-in only for the right name and password, a clear refusal
// otherwise, never a server error, and never a session for a failure.
func FuzzLoginForm(f *testing.F) {
	form := func(u, p string) string { return url.Values{"username": {u}, "password": {p}}.Encode() }
	for _, seed := range []string{
		form(user, password), form(user, "wrong"), form("", ""), form("nobody", password),
		form(user, password+"\x00"), form(strings.Repeat("a", 300), "x"), form(user, strings.Repeat("p", 2000)),
		"username=alice&username=bob&password=x", "%zz=1", "username=al%ice", ";;;", "",
		"username=" + user + "&password=" + url.QueryEscape(password) + "&next=//evil.example",
		"username=" + user + "&password=" + url.QueryEscape(password) + "&next=/history",
	} {
		f.Add(seed)
	}
	e := signedIn(f)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		e.Handler.ServeHTTP(w, req)
		vals, _ := url.ParseQuery(body)
		right := vals.Get("username") == user && vals.Get("password") == password
		session := strings.Contains(strings.Join(w.Result().Header.Values("Set-Cookie"), ";"), webtest.SessionCookie+"=")
		switch code := w.Code; {
		case code >= 500:
			t.Fatalf("status %d for %q: %s", code, body, w.Body)
		case code == http.StatusSeeOther:
			loc := w.Header().Get("Location")
			if !right || !session || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Fatalf("signed in for %q (right %v, session %v, to %q)", body, right, session, loc)
			}
		case code == http.StatusBadRequest, code == http.StatusUnauthorized, code == http.StatusTooManyRequests, code == http.StatusRequestEntityTooLarge:
			if session {
				t.Fatalf("status %d with a session cookie for %q", code, body)
			}
		default:
			t.Fatalf("status %d for %q", code, body)
		}
	})
}
