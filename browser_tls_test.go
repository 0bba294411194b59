package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"podboard/lifecycle/podman/podmantest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "podboard test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// Browsers open about six HTTP/1.1 connections per host, so a seventh tab's
// live feed would wait forever; over TLS the dashboard speaks HTTP/2, and
// every tab's feed shares one connection.
func TestBrowserTenTabsOverTLSAllGetThePushedRow(t *testing.T) {
	svc := sharedPodman(t)
	bin := buildBinary(t)
	createWorkload(t, svc, "tabs", podmantest.Workload{Start: true})
	cert, key := selfSigned(t)
	data := t.TempDir()
	addUser(t, bin, data, testUser, testPassword)
	p := startProc(t, bin, "--listen", "127.0.0.1:0", "--podman", svc.URI, "--data", data, "--scan-interval", "500ms",
		"--tls-cert", cert, "--tls-key", key)
	if p.url[:8] != "https://" {
		t.Fatalf("serving at %s, want https", p.url)
	}

	b, first := newBrowser(t, chromedp.Flag("ignore-certificate-errors", true))
	first.open(p.url)
	if proto := evalIn[string](first, `performance.getEntriesByType('navigation')[0].nextHopProtocol`); proto != "h2" {
		t.Fatalf("the page came over %q, want h2", proto)
	}
	tabs := []*tab{first}
	for i := 2; i <= 10; i++ {
		tb := b.newTab(fmt.Sprintf("tab %d", i))
		tb.open(p.url) // signed in already: the tabs share the cookie
		tabs = append(tabs, tb)
	}
	for _, tb := range tabs {
		tb.waitFor("tabs running", rowShows("tabs", "running", "Running", false))
	}
	tabs[9].click(`#row-tabs\:run`)
	for _, tb := range tabs {
		tb.waitFor("tabs stopped, pushed", rowShows("tabs", "stopped", "Stopped", false))
	}
	if cookie := evalIn[string](first, `document.cookie`); cookie != "" {
		t.Errorf("the session cookie is readable from scripts: %q", cookie)
	}
}
