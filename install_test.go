package main

// The ways podboard is installed: the systemd unit and the Quadlet file in
// deploy/ (read as systemd reads them), and the image the Containerfile
// builds, run on a private Podman as the Quadlet file runs it, against that
// Podman's own socket.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"podboard/lifecycle/podman/podmantest"
	"podboard/web/webtest"
)

// unitFile is a systemd unit file (or a Quadlet file, which has the same
// syntax) as systemd reads it: sections of keys, each key as often as it
// is given, comments and continued lines joined.
type unitFile struct {
	path     string
	sections map[string][][2]string // section → key, value in order
}

func readUnitFile(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{path: path, sections: map[string][][2]string{}}
	section, pending := "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending += cont + " "
			continue
		}
		line, pending = pending+line, ""
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Fatalf("%s:%d: %q is not a key=value in a section", path, n, line)
		}
		u.sections[section] = append(u.sections[section], [2]string{strings.TrimSpace(key), strings.TrimSpace(value)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// all is every value of key in section, in order.
func (u unitFile) all(section, key string) []string {
	var vs []string
	for _, kv := range u.sections[section] {
		if kv[0] == key {
			vs = append(vs, kv[1])
		}
	}
	return vs
}

// last is key's value in section as systemd takes it: the last one given.
func (u unitFile) last(section, key string) string {
	vs := u.all(section, key)
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// words is every space-separated word of key's values in section.
func (u unitFile) words(section, key string) []string {
	var ws []string
	for _, v := range u.all(section, key) {
		ws = append(ws, strings.Fields(v)...)
	}
	return ws
}

// seconds reads a systemd time span of whole seconds ("700", "700s",
// "11min 40s").
func seconds(t *testing.T, span string) int {
	t.Helper()
	total := 0
	for _, w := range strings.Fields(span) {
		unit := strings.TrimLeft(w, "0123456789")
		n, err := strconv.Atoi(strings.TrimSuffix(w, unit))
		mult := map[string]int{"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}[unit]
		if err != nil || mult == 0 {
			t.Fatalf("time span %q: want whole seconds or minutes", span)
		}
		total += n * mult
	}
	return total
}

// The longest a shutdown waits for an operation: a bitcoin node's clean
// stop (600 s) plus the default --op-grace (60 s).
const longestStopWait = 660

func TestTheSystemdUnitStartsTheBinaryHardenedAfterPodmansSocket(t *testing.T) {
	u := readUnitFile(t, "deploy/podboard.service")
	want := map[string]map[string]string{
		"Unit":    {},
		"Service": {"StateDirectory": "podboard", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/lib/podboard", "Restart": "on-failure", "KillMode": "mixed", "ProtectHome": "yes", "PrivateTmp": "yes"},
		"Install": {"WantedBy": "multi-user.target"},
	}
	for section, keys := range want {
		for k, v := range keys {
			if got := u.last(section, k); got != v {
				t.Errorf("[%s] %s=%q, want %q", section, k, got, v)
			}
		}
	}
	if !slices.Contains(u.words("Unit", "After"), "podman.socket") {
		t.Errorf("After=%q: podboard must start after Podman's socket", u.all("Unit", "After"))
	}
	if !slices.Contains(append(u.words("Unit", "Wants"), u.words("Unit", "Requires")...), "podman.socket") {
		t.Error("neither Wants= nor Requires= podman.socket: starting podboard would not start Podman's socket")
	}
	for _, family := range []string{"AF_UNIX", "AF_INET", "AF_INET6"} {
		if !slices.Contains(u.words("Service", "RestrictAddressFamilies"), family) {
			t.Errorf("RestrictAddressFamilies=%q lacks %s", u.last("Service", "RestrictAddressFamilies"), family)
		}
	}
	if s := seconds(t, u.last("Service", "TimeoutStopSec")); s <= longestStopWait {
		t.Errorf("TimeoutStopSec=%ds: systemd would kill podboard while it waits up to %ds for a stop to end", s, longestStopWait)
	}

	// The command line is one the binary accepts, with the state
	// directory systemd gives it.
	exe := strings.Fields(u.last("Service", "ExecStart"))
	if len(exe) == 0 || exe[0] != "/usr/local/bin/podboard" {
		t.Fatalf("ExecStart=%q, want /usr/local/bin/podboard …", u.last("Service", "ExecStart"))
	}
	args := strings.Fields(strings.ReplaceAll(strings.Join(exe[1:], " "), "${STATE_DIRECTORY}", "/var/lib/podboard"))
	cfg, err := parseConfig(args, func(string) string { return "" })
	if err != nil {
		t.Fatalf("ExecStart's flags %q: %v", args, err)
	}
	if cfg.podman != "unix:///run/podman/podman.sock" || cfg.data != "/var/lib/podboard" || !isLoopback(cfg.listen) {
		t.Errorf("ExecStart serves %s from %s with data in %s; want loopback, the rootful socket and the state directory", cfg.listen, cfg.podman, cfg.data)
	}

	// systemd's own check, where systemd-analyze is installed: with the
	// path of a real binary, as it also checks that the command exists.
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit is not verified by systemd")
		return
	}
	b, err := os.ReadFile(u.path)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "podboard.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/podboard", buildBinary(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// quadlet44Keys are the [Container] keys Podman 4.4's Quadlet knows. It
// refuses a file with any other key, so podboard.container uses no more.
var quadlet44Keys = []string{
	"ContainerName", "Image", "Environment", "Exec", "NoNewPrivileges", "DropCapability", "AddCapability",
	"ReadOnly", "RemapUsers", "RemapUid", "RemapGid", "RemapUidSize", "Notify", "ExposeHostPort",
	"PublishPort", "User", "Group", "Volume", "PodmanArgs", "Label", "Annotation", "RunInit",
	"VolatileTmp", "Timezone", "SeccompProfile", "AddDevice", "Network",
}

func TestTheQuadletFileRunsTheImageOnTheHostsSocketWithPodman44Keys(t *testing.T) {
	u := readUnitFile(t, "deploy/podboard.container")
	for _, kv := range u.sections["Container"] {
		if !slices.Contains(quadlet44Keys, kv[0]) {
			t.Errorf("[Container] %s= is not a key of Podman 4.4's Quadlet, which would refuse the file", kv[0])
		}
	}
	if got := u.last("Container", "Image"); got != "localhost/podboard:latest" {
		t.Errorf("Image=%q, want localhost/podboard:latest, which make image tags", got)
	}
	for _, v := range []string{"/run/podman/podman.sock:/run/podman/podman.sock", "podboard-data:/data"} {
		if !slices.Contains(u.all("Container", "Volume"), v) {
			t.Errorf("no Volume=%s among %q", v, u.all("Container", "Volume"))
		}
	}
	if got := u.all("Container", "PublishPort"); !slices.Equal(got, []string{"127.0.0.1:8080:8080"}) {
		t.Errorf("PublishPort=%q, want the host's loopback only: 127.0.0.1:8080:8080", got)
	}
	execArgs := strings.Fields(u.last("Container", "Exec"))
	cfg, err := parseConfig(execArgs, func(string) string { return "" })
	if err != nil {
		t.Fatalf("Exec=%q: %v", execArgs, err)
	}
	if cfg.listen != "0.0.0.0:8080" || cfg.podman != "unix:///run/podman/podman.sock" || cfg.data != "/data" {
		t.Errorf("Exec serves %s from %s with data in %s; want the published port, the mounted socket and the volume", cfg.listen, cfg.podman, cfg.data)
	}
	var stopTimeout int
	for _, a := range u.words("Container", "PodmanArgs") {
		if v, ok := strings.CutPrefix(a, "--stop-timeout="); ok {
			stopTimeout, _ = strconv.Atoi(v)
		}
	}
	if stopTimeout <= longestStopWait {
		t.Errorf("PodmanArgs %q: a --stop-timeout of %ds; Podman would kill podboard while it waits up to %ds for a stop to end", u.all("Container", "PodmanArgs"), stopTimeout, longestStopWait)
	}
	if s := seconds(t, u.last("Service", "TimeoutStopSec")); s <= stopTimeout {
		t.Errorf("TimeoutStopSec=%ds is not longer than the container's --stop-timeout=%d", s, stopTimeout)
	}
	if got := u.last("Service", "Restart"); got != "on-failure" {
		t.Errorf("Restart=%q, want on-failure", got)
	}
	if got := u.words("Install", "WantedBy"); !slices.Contains(got, "default.target") {
		t.Errorf("WantedBy=%q, want default.target", got)
	}
	if !slices.Contains(u.words("Unit", "After"), "podman.socket") {
		t.Errorf("After=%q, want podman.socket: the socket must exist before it is mounted", u.all("Unit", "After"))
	}
}

// quadletRun is the `podman run` that Quadlet makes of podboard.container's
// [Container] keys, without its systemd plumbing, the host's paths and port
// replaced by those of a test: src maps a Volume's source to the test's.
func quadletRun(t *testing.T, u unitFile, src map[string]string, port int) []string {
	t.Helper()
	var args, execArgs []string
	image := ""
	for _, kv := range u.sections["Container"] {
		k, v := kv[0], kv[1]
		switch k {
		case "Image":
			image = v
		case "ContainerName":
			args = append(args, "--name", v)
		case "Volume":
			from, to, _ := strings.Cut(v, ":")
			mapped, ok := src[from]
			if !ok {
				t.Fatalf("Volume=%s: the test has no stand-in for %s", v, from)
			}
			args = append(args, "--volume", mapped+":"+to)
		case "PublishPort":
			parts := strings.Split(v, ":")
			args = append(args, "--publish", fmt.Sprintf("127.0.0.1:%d:%s", port, parts[len(parts)-1]))
		case "DropCapability":
			args = append(args, "--cap-drop="+v)
		case "NoNewPrivileges":
			if v == "true" || v == "yes" {
				args = append(args, "--security-opt=no-new-privileges")
			}
		case "ReadOnly":
			if v == "true" || v == "yes" {
				args = append(args, "--read-only")
			}
		case "PodmanArgs":
			args = append(args, strings.Fields(v)...)
		case "Exec":
			execArgs = strings.Fields(v)
		default:
			t.Fatalf("%s: the test does not know what Quadlet makes of %s=", u.path, k)
		}
	}
	return append(append(args, image), execArgs...)
}

// requireStaticBusybox skips, or fails under CI=true, without the static
// busybox that the local builder image takes its shell from.
func requireStaticBusybox(t *testing.T) {
	t.Helper()
	if fi, err := os.Stat("/bin/busybox"); err == nil && fi.Mode()&0o111 != 0 && exec.Command("ldd", "/bin/busybox").Run() != nil {
		return
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal("no static /bin/busybox: apt-get install busybox-static (required when CI=true)")
	}
	t.Skip("no static /bin/busybox (apt-get install busybox-static); skipping")
}

// freePort is a TCP port nothing listens on now on the loopback.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestTheImageFromTheContainerfileServesTheDashboardOfTheMountedPodmanSocket(t *testing.T) {
	svc := podmantest.Start(t) // its store holds what the test builds; removed at the end
	requireStaticBusybox(t)

	// The route make image takes, on the private store.
	const version, revision = "v0.0.0-imagetest", "0123456789abcdef0123456789abcdef01234567"
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	podman := svc.Command(ctx)
	build := exec.CommandContext(ctx, "deploy/build-image.sh", version, revision)
	build.Env = append(podman.Env, "PODMAN="+strings.Join(podman.Args, " "))
	began := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("deploy/build-image.sh: %v\n%s", err, out)
	}
	t.Logf("the image was built in %s", time.Since(began).Round(time.Second))
	image := "localhost/podboard:" + version

	// From scratch: the binary, an empty /tmp and the data directory.
	svc.MustPodman(t, "create", "--name", "podboard-idle", image, "version")
	files := svc.Command(ctx, "export", "podboard-idle")
	list := exec.CommandContext(ctx, "tar", "-t")
	var err error
	if list.Stdin, err = files.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := files.Start(); err != nil {
		t.Fatal(err)
	}
	names, err := list.Output()
	if werr := files.Wait(); err != nil || werr != nil {
		t.Fatalf("podman export | tar -t: %v, %v", err, werr)
	}
	if got := strings.Fields(string(names)); !slices.Equal(got, []string{"data/", "podboard", "tmp/"}) {
		t.Errorf("the image holds %q, want only data/, podboard and tmp/", got)
	}
	config := svc.MustPodman(t, "image", "inspect", "--format", "{{.Config.Entrypoint}} {{.Config.Cmd}} {{.Config.User}}|{{.Config.ExposedPorts}} {{.Config.Volumes}}", image)
	if want := "[/podboard] [] |map[8080/tcp:{}] map[/data:{}]"; config != want {
		t.Errorf("image config %q, want %q", config, want)
	}
	want := "podboard " + version + " (" + revision[:12] + ", " + runtime.Version() + ")"
	if got := svc.MustPodman(t, "run", "--rm", image, "version"); got != want {
		t.Errorf("podman run %s version: %q, want %q: the Go of the build is this machine's", image, got, want)
	}
	if got := svc.MustPodman(t, "image", "inspect", "--format", "{{.Id}}", "localhost/podboard:latest"); got != svc.MustPodman(t, "image", "inspect", "--format", "{{.Id}}", image) {
		t.Error("localhost/podboard:latest is not the image just built")
	}

	// A user and a token, made by the image's own commands on the data
	// volume (PODBOARD_DATA=/data in the image).
	data := t.TempDir()
	password := "a long test passphrase"
	user := svc.Command(ctx, "run", "--rm", "-i", "-v", data+":/data", image, "user", "add", "admin", "--password-stdin")
	user.Stdin = strings.NewReader(password + "\n")
	if out, err := user.CombinedOutput(); err != nil {
		t.Fatalf("user add in the image: %v\n%s", err, out)
	}
	out := svc.MustPodman(t, "run", "--rm", "-v", data+":/data", image, "token", "add", "image-test")
	token := out[strings.LastIndex(out, "\n")+1:]

	// The dashboard as the Quadlet file runs it. The private service has
	// no network of its own; slirp4netns, with its own port forwarder,
	// publishes the port without touching the host's.
	port := freePort(t)
	quadlet := readUnitFile(t, "deploy/podboard.container")
	run := append([]string{"run", "--detach", "--network", "slirp4netns:port_handler=slirp4netns"},
		quadletRun(t, quadlet, map[string]string{"/run/podman/podman.sock": svc.Socket, "podboard-data": data}, port)...)
	svc.MustPodman(t, run...)
	// podboard logs to stderr, which podman logs writes to its own.
	logs := func() string {
		out, _ := svc.Command(ctx, "logs", "podboard").CombinedOutput()
		return string(out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("podman %s\nthe dashboard's log:\n%s", strings.Join(run, " "), logs())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitUntil(t, "GET /healthz answers ok", deadline, func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	site := webtest.Site{TB: t, URL: url}
	var listed []webtest.APIContainer
	waitUntil(t, "the API lists the service's containers", deadline, func() bool {
		listed = site.Bearer(token).API()
		_, self := findContainer(listed, "podboard")
		_, idle := findContainer(listed, "podboard-idle")
		return self && idle
	})
	if c, _ := findContainer(listed, "podboard"); c.State != "running" || c.Image != quadlet.last("Container", "Image") {
		t.Errorf("the dashboard's own container: %+v, want running from %s", c, quadlet.last("Container", "Image"))
	}
	if c, _ := findContainer(listed, "podboard-idle"); c.State != "stopped" || c.PodmanState != "created" {
		t.Errorf("podboard-idle: %+v, want stopped (created)", c)
	}
	if r := site.Login("admin", password).Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "podboard-idle") {
		t.Errorf("the page as admin: status %d, want 200 listing podboard-idle:\n%.400s", r.Status, r.Body)
	}

	// A stop is the SIGTERM of a clean shutdown.
	svc.MustPodman(t, "stop", "podboard")
	if code := svc.MustPodman(t, "inspect", "--format", "{{.State.ExitCode}}", "podboard"); code != "0" {
		t.Errorf("the dashboard exited %s after podman stop, want 0", code)
	}
	if log := logs(); !strings.Contains(log, `msg="shutting down"`) {
		t.Errorf("no clean shutdown in the dashboard's log:\n%s", log)
	}
}
