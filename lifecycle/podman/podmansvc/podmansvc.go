// Package podmansvc runs a private, throw-away Podman API service so that
// the demo program, the integration and browser tests and the benchmarks
// exercise a real Podman instead of a mock.
//
// The package owns everything such a service needs and nothing outside it:
// a directory holding the service's own containers.conf, storage.conf,
// image/container store (root, runroot, tmpdir), network configuration and
// unix socket; the service process itself; the containers created in that
// store; and the workload image, built from the workload program next to
// this file. The host's containers, images, /etc/containers and the parent
// process's environment are never touched, so several services (for example
// from packages that `go test ./...` runs concurrently) can live side by side.
//
// It does not import package testing, so that the demo program does not link
// it; the helpers for tests (a service per test or per test binary, and
// Must… methods that fail the test) are in package podmantest.
//
// The configuration it writes reflects what the project's Debian machines
// need (runc instead of crun, low default ulimits, cgroupfs); it is harmless
// on an ordinary host. It has only been exercised as root (rootful Podman
// 4.3), which is how the project's machines run tests and the demo.
package podmansvc

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// WorkloadImage is the reference BuildWorkloadImage tags. It lives in the
// localhost/ namespace because nothing can be pulled on the test machines.
const WorkloadImage = "localhost/podboard-workload:test"

const (
	// readyTimeout bounds how long Launch waits for the API to answer,
	// and CreateWorkload for a started program to be ready; both normally
	// take well under a second.
	readyTimeout = 20 * time.Second
	// stopGrace is how long Close lets the service shut down after
	// SIGTERM before it is killed.
	stopGrace = 5 * time.Second
	// cleanupTimeout bounds the container removal in Close so that a
	// wedged store cannot hang a test run forever.
	cleanupTimeout = 60 * time.Second
	// maxSocketPath leaves room below the kernel's 108-byte sun_path
	// limit (including the terminating NUL).
	maxSocketPath = 100
	// maxRunRoot is Podman's own limit: `podman --runroot` refuses longer
	// paths ("the specified runroot is longer than 50 characters"),
	// because conmon's attach sockets live below it.
	maxRunRoot = 50
	// logTailBytes is how much of the service log error messages quote.
	logTailBytes = 4096
)

// Service is one running private Podman API service. Its methods may be
// called from several goroutines.
type Service struct {
	// Dir holds the service's configuration, store and log. It belongs to
	// whoever called Launch; Close leaves it in place so that a demo can
	// reuse the store (and its images) on the next Launch.
	Dir string
	// Socket is the path of the service's unix socket. It is inside Dir
	// unless Dir is too long; see Launch.
	Socket string
	// URI is what the Podman bindings and `podman --url` expect.
	URI string
	// ContainersConf is the containers.conf the service and every podman
	// command of this Service use.
	ContainersConf string
	// LogPath is the service's own output, kept for post-mortems; LogTail
	// quotes its end.
	LogPath string

	root, runRoot, tmpDir string
	storageConf           string
	shortDir              string // holds runroot and socket when Dir is too long; removed by Close

	cmd     *exec.Cmd
	exited  chan struct{} // closed once the service process has been reaped
	waitErr error         // valid after exited is closed

	closeOnce sync.Once
	closeErr  error

	imageMu sync.Mutex
	image   string
}

// Launch starts a private Podman API service whose whole state lives in dir
// (created if missing) and returns once the API answers. A dir used by an
// earlier Service may be reused; its images are kept.
//
// Podman limits the runroot to 50 characters and the kernel limits socket
// paths to 108 bytes. When dir is longer than about 45 characters, the
// runroot and the socket go to a directory under os.TempDir() named after a
// hash of dir (stable, because Podman's database remembers the runroot);
// Close removes it.
//
// The caller must call Close, which stops the service and removes its
// containers; if the calling process dies first, the service gets SIGTERM.
func Launch(dir string) (*Service, error) {
	if err := MissingTool(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("podmansvc: %w", err)
	}
	// The paths end up in TOML literal strings, which cannot escape.
	if strings.ContainsAny(dir, "'\n\r") {
		return nil, fmt.Errorf("podmansvc: directory %q contains a quote or newline", dir)
	}
	s := &Service{
		Dir:            dir,
		ContainersConf: filepath.Join(dir, "containers.conf"),
		root:           filepath.Join(dir, "root"),
		tmpDir:         filepath.Join(dir, "tmp"),
		storageConf:    filepath.Join(dir, "storage.conf"),
		LogPath:        filepath.Join(dir, "service.log"),
		exited:         make(chan struct{}),
	}
	if err := s.placeRuntimeFiles(); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, s.root, s.runRoot, s.tmpDir, filepath.Join(dir, "networks")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("podmansvc: %w", err)
		}
	}
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	if err := s.checkSocket(); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		_ = s.Close() // whatever the half-started service left behind
		return nil, err
	}
	return s, nil
}

// Tools are the programs a Service runs: the podman CLI and service, and
// runc, the runtime its configuration names.
var Tools = []string{"podman", "runc"}

// MissingTool returns an error naming the first of Tools that is not on
// PATH, and nil when all are there.
func MissingTool() error {
	for _, tool := range Tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("podmansvc: %s is not installed: %w", tool, err)
		}
	}
	return nil
}

// PID is the process ID of the service, 0 before it started.
func (s *Service) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Freeze stops the service process (SIGSTOP, by its PID) as a hung Podman
// would be: connections are accepted by the kernel and never answered.
// Thaw (SIGCONT) lets it go on; Close thaws it first.
func (s *Service) Freeze() error { return s.signal(syscall.SIGSTOP) }

// Thaw continues a frozen service. Thawing one that is not frozen does
// nothing.
func (s *Service) Thaw() error { return s.signal(syscall.SIGCONT) }

func (s *Service) signal(sig syscall.Signal) error {
	if s.cmd == nil || s.cmd.Process == nil {
		return fmt.Errorf("podmansvc: the service is not running")
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("podmansvc: %s to the podman service (pid %d): %w", sig, s.cmd.Process.Pid, err)
	}
	return nil
}

// Kill ends the service process at once (SIGKILL, by its PID), as a crash
// would, and waits until it is gone; the containers and their conmon
// monitors live on. Restart starts the service again on the same store.
func (s *Service) Kill() error {
	if err := s.signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-s.exited
	return nil
}

// Restart starts the service again after Kill, on the same store and
// socket, and returns once it answers. It must not run at the same time
// as Close.
func (s *Service) Restart() error {
	select {
	case <-s.exited:
	default:
		return fmt.Errorf("podmansvc: the podman service (pid %d) still runs", s.PID())
	}
	_ = os.Remove(s.Socket)
	s.exited = make(chan struct{})
	s.waitErr = nil
	return s.start()
}

// writeConfig pins every setting that would otherwise come from the host's
// /etc/containers: with CONTAINERS_CONF and CONTAINERS_STORAGE_CONF set,
// Podman reads only these files.
func (s *Service) writeConfig() error {
	// runc: crun fails on these machines ("cgroups in hybrid mode not
	// supported"). Ulimits: the VM cannot raise rlimits, and Podman's
	// defaults make every start fail with "setrlimit ... Operation not
	// permitted". cgroupfs: there is no systemd. netns none: a bridge
	// network would add host interfaces and iptables rules shared by all
	// services; the workloads need no network. File events and file locks
	// keep the event stream and lock table private to this Dir instead of
	// the journal and the host-wide /dev/shm/libpod_lock.
	containersConf := fmt.Sprintf(`# Private Podman service of package podmansvc.
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "none"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
lock_type = "file"
image_copy_tmp_dir = '%s'

[network]
network_config_dir = '%s'
`, s.tmpDir, filepath.Join(s.Dir, "networks"))
	// Podman insists on an explicit driver in storage.conf. overlay works
	// on ext4, xfs and tmpfs, though not on top of another overlay.
	storageConf := fmt.Sprintf(`# Private Podman service of package podmansvc.
[storage]
driver = "overlay"
graphroot = '%s'
runroot = '%s'
`, s.root, s.runRoot)
	if err := os.WriteFile(s.ContainersConf, []byte(containersConf), 0o600); err != nil {
		return fmt.Errorf("podmansvc: %w", err)
	}
	if err := os.WriteFile(s.storageConf, []byte(storageConf), 0o600); err != nil {
		return fmt.Errorf("podmansvc: %w", err)
	}
	return nil
}

// placeRuntimeFiles puts the runroot and the socket inside Dir when their
// paths are short enough, and otherwise into a short directory of their
// own.
func (s *Service) placeRuntimeFiles() error {
	s.runRoot = filepath.Join(s.Dir, "run")
	s.Socket = filepath.Join(s.Dir, "podman.sock")
	if len(s.runRoot) > maxRunRoot || len(s.Socket) > maxSocketPath {
		sum := sha256.Sum256([]byte(s.Dir))
		// The prefix predates this package's name; it is kept because
		// Podman's database remembers the runroot of a store that a demo
		// reuses.
		s.shortDir = filepath.Join(os.TempDir(), "podmantest-"+hex.EncodeToString(sum[:6]))
		s.runRoot = filepath.Join(s.shortDir, "run")
		s.Socket = filepath.Join(s.shortDir, "podman.sock")
		if len(s.runRoot) > maxRunRoot {
			return fmt.Errorf("podmansvc: runroot %s is longer than Podman's limit of %d characters; set TMPDIR to a shorter directory", s.runRoot, maxRunRoot)
		}
		if strings.ContainsAny(s.shortDir, "'\n\r") {
			return fmt.Errorf("podmansvc: directory %q contains a quote or newline", s.shortDir)
		}
	}
	s.URI = "unix://" + s.Socket
	return nil
}

// checkSocket clears a socket left behind by a killed service, which would
// make podman fail to listen; one that still answers means another service
// owns this Dir.
func (s *Service) checkSocket() error {
	if c, err := net.DialTimeout("unix", s.Socket, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("podmansvc: a service is already listening on %s", s.Socket)
	}
	if err := os.Remove(s.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("podmansvc: removing stale socket: %w", err)
	}
	return nil
}

func (s *Service) start() error {
	logFile, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("podmansvc: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor

	cmd := s.Command(context.Background(), "system", "service", "--time=0", s.URI)
	// A file rather than a pipe: conmon processes inherit nothing from it,
	// and Wait never blocks on a pipe held open by a grandchild.
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group keeps a terminal's Ctrl-C (meant for a demo
		// program) from reaching the service; the owner stops it with Close.
		Setpgid: true,
		// Covers a crashed or timed-out test binary. Linux ties this to the
		// starting thread, which the Go runtime does not retire in practice.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("podmansvc: starting podman system service: %w", err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(); err != nil {
		return fmt.Errorf("%w\npodman service log (%s):\n%s", err, s.LogPath, s.LogTail())
	}
	return nil
}

// waitReady polls the libpod ping endpoint: the socket file appears before
// the API is ready to serve requests.
func (s *Service) waitReady() error {
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", s.Socket)
		},
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 2 * time.Second}

	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for {
		resp, err := client.Get("http://podman/v4.0.0/libpod/_ping")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("ping answered %s: %s", resp.Status, bytes.TrimSpace(body))
		}
		lastErr = err
		select {
		case <-s.exited:
			return fmt.Errorf("podmansvc: podman system service exited before answering on %s: %v", s.Socket, s.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("podmansvc: podman system service did not answer on %s within %s: %v", s.Socket, readyTimeout, lastErr)
		}
	}
}

// Close leaves nothing of the service running or mounted, so that tests can
// delete Dir and nothing leaks between test runs: it removes every container
// of the store, waits for their conmon monitors to finish, stops the service
// process by its PID, and unmounts what the storage driver left mounted
// under Dir. It is safe to call more than once; later calls return the
// first result.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if s.cmd != nil {
			_ = s.Thaw() // a frozen service would hold the commands below
		}
		// Through the CLI rather than the API: this works even if the
		// service has already died.
		if _, err := s.PodmanContext(ctx, "rm", "--all", "--force", "--time", "0"); err != nil {
			errs = append(errs, fmt.Errorf("podmansvc: removing containers: %w", err))
		}
		if err := s.waitStoreProcesses(); err != nil {
			errs = append(errs, err)
		}
		if s.cmd != nil {
			if err := s.stopService(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := s.unmountLeftovers(); err != nil {
			errs = append(errs, err)
		}
		if err := s.removeShortDir(); err != nil {
			errs = append(errs, err)
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// waitStoreProcesses waits for the processes that outlive `podman rm`: a
// container's conmon and the `podman container cleanup` it runs on exit.
// Left alone they race with Dir's removal and can re-mount the store.
// Stragglers are killed by PID; they are found by this store's own paths
// in their command lines, so no other Podman's processes can match.
func (s *Service) waitStoreProcesses() error {
	deadline := time.Now().Add(stopGrace)
	for {
		pids := s.storeProcesses()
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			return fmt.Errorf("podmansvc: processes of the store still running %s after removing all containers were killed: %v", stopGrace, pids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// storeProcesses lists processes other than the service whose arguments
// name this Service's root or runroot.
func (s *Service) storeProcesses() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	servicePID := -1
	if s.cmd != nil {
		servicePID = s.cmd.Process.Pid
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == servicePID || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		for arg := range strings.SplitSeq(string(b), "\x00") {
			if isUnder(arg, s.root) || isUnder(arg, s.runRoot) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func isUnder(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// unmountLeftovers undoes mounts below Dir and the short runtime directory.
// The overlay driver bind-mounts its home onto itself, and a podman process
// that exits with a container running (`podman run -d`) skips the unmount,
// so the mount can outlive every process and make Dir impossible to
// delete. Stacked mounts need several passes.
func (s *Service) unmountLeftovers() error {
	dirs := []string{s.Dir}
	if s.shortDir != "" {
		dirs = append(dirs, s.shortDir)
	}
	for range 10 {
		points, err := mountPointsUnder(dirs)
		if err != nil {
			return err
		}
		if len(points) == 0 {
			return nil
		}
		// Deepest first, so a parent is never busy because of a child.
		slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
		for _, p := range points {
			if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && err != syscall.EINVAL {
				return fmt.Errorf("podmansvc: unmounting %s: %w", p, err)
			}
		}
	}
	return fmt.Errorf("podmansvc: mounts under %v keep coming back", dirs)
}

// mountPointsUnder reads this mount namespace's mount points below dirs.
func mountPointsUnder(dirs []string) ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("podmansvc: %w", err)
	}
	var points []string
	for line := range strings.SplitSeq(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		// Field 5 is the mount point, with space, tab, newline and
		// backslash written as octal escapes.
		p := unescapeMountInfo(fields[4])
		for _, d := range dirs {
			if isUnder(p, d) {
				points = append(points, p)
				break
			}
		}
	}
	return points, nil
}

func unescapeMountInfo(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// stopService signals only the service's own PID, never anything found by
// name: other Podman services may run on the same machine.
func (s *Service) stopService() error {
	pid := s.cmd.Process.Pid
	select {
	case <-s.exited:
		// It died on its own: whatever the test saw may be explained by it.
		return fmt.Errorf("podmansvc: podman service (pid %d) had already exited: %v", pid, s.waitErr)
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopGrace):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("podmansvc: podman service (pid %d) ignored SIGTERM for %s and was killed", pid, stopGrace)
	}
	_ = os.Remove(s.Socket)
	return nil
}

func (s *Service) removeShortDir() error {
	if s.shortDir == "" {
		return nil
	}
	if err := os.RemoveAll(s.shortDir); err != nil {
		return fmt.Errorf("podmansvc: %w", err)
	}
	return nil
}

// LogTail returns the end of the service's log, for error messages.
func (s *Service) LogTail() string {
	f, err := os.Open(s.LogPath)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > logTailBytes {
		_, _ = f.Seek(-logTailBytes, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	if len(bytes.TrimSpace(b)) == 0 {
		return "(empty)"
	}
	return string(b)
}

// Command prepares a podman CLI invocation against this service's store and
// configuration, for callers that need stdin or streaming output (for
// example `podman events`). The CLI works on the store directly; it does not
// go through the API socket.
func (s *Service) Command(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"--root", s.root, "--runroot", s.runRoot, "--tmpdir", s.tmpDir}, args...)
	cmd := exec.CommandContext(ctx, "podman", full...)
	cmd.Env = s.env()
	// Guards against a grandchild that keeps an output pipe open after
	// podman itself has exited.
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// env gives the child the private configuration without changing the
// parent's environment, and drops variables that would turn the podman CLI
// into a remote client of some other service.
func (s *Service) env() []string {
	drop := map[string]bool{
		"CONTAINERS_CONF":          true,
		"CONTAINERS_CONF_OVERRIDE": true,
		"CONTAINERS_STORAGE_CONF":  true,
		"CONTAINER_HOST":           true,
		"CONTAINER_CONNECTION":     true,
		"CONTAINER_SSHKEY":         true,
		"CONTAINER_PASSPHRASE":     true,
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env,
		"CONTAINERS_CONF="+s.ContainersConf,
		"CONTAINERS_STORAGE_CONF="+s.storageConf,
	)
}

// Podman runs the podman CLI against this service's store and returns its
// standard output, trimmed. Standard error is kept apart because Podman
// writes warnings there even on success (for example "StopSignal SIGTERM
// failed to stop container ... resorting to SIGKILL"), which would corrupt
// `inspect --format` output. On failure the error is a *CommandError
// carrying Podman's message.
func (s *Service) Podman(args ...string) (string, error) {
	return s.PodmanContext(context.Background(), args...)
}

// PodmanContext is Podman with a deadline, for callers that must not hang.
// A stop of a slow workload legitimately takes as long as its shutdown.
func (s *Service) PodmanContext(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := s.Command(ctx, args...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	out := strings.TrimSpace(stdout.String())
	if err != nil {
		cerr := &CommandError{Args: args, ExitCode: -1, Stderr: strings.TrimSpace(stderr.String()), Err: err}
		if exit, ok := errors.AsType[*exec.ExitError](err); ok {
			cerr.ExitCode = exit.ExitCode()
		}
		return out, cerr
	}
	return out, nil
}

// CommandError is a failed podman command. Tests match on Stderr, which
// holds Podman's own message ("Error: ..."), and ExitCode: 125 for
// Podman's own failures, 126 and 127 when `podman run` cannot execute
// the container's command.
type CommandError struct {
	Args     []string
	ExitCode int // -1 if podman did not exit normally
	Stderr   string
	Err      error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("podman %s: %v: %s", strings.Join(e.Args, " "), e.Err, e.Stderr)
}

func (e *CommandError) Unwrap() error { return e.Err }

// BuildWorkloadImage builds the workload program into an image of a single
// static binary and returns WorkloadImage. It needs the Go toolchain and the
// module's source, and runs once per Service; concurrent Services build in
// their own directories and do not collide.
func (s *Service) BuildWorkloadImage() (string, error) {
	s.imageMu.Lock()
	defer s.imageMu.Unlock()
	if s.image != "" {
		return s.image, nil
	}
	bin, err := s.buildWorkload()
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(filepath.Dir(bin))
	rootfs, err := tarSingleFile(bin, "workload")
	if err != nil {
		return "", err
	}
	cmd := s.Command(context.Background(), "import", "--quiet",
		"--change", `ENTRYPOINT ["/workload"]`, "-", WorkloadImage)
	cmd.Stdin = bytes.NewReader(rootfs)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("podmansvc: podman import: %w: %s", err, bytes.TrimSpace(out))
	}
	s.image = WorkloadImage
	return s.image, nil
}

// buildWorkload compiles the workload package into a fresh directory of this
// Service and returns the binary's path.
func (s *Service) buildWorkload() (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("podmansvc: the Go toolchain is needed to build the workload image: %w", err)
	}
	outDir, err := os.MkdirTemp(s.Dir, "workload-build-")
	if err != nil {
		return "", fmt.Errorf("podmansvc: %w", err)
	}
	bin := filepath.Join(outDir, "workload")
	// By import path, derived from this package so a module rename cannot
	// break it.
	pkg := reflect.TypeFor[Service]().PkgPath() + "/workload"
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", bin, pkg)
	cmd.Dir = moduleDir()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(outDir)
		return "", fmt.Errorf("podmansvc: go build %s (in %s): %w: %s", pkg, cmd.Dir, err, bytes.TrimSpace(out))
	}
	return bin, nil
}

// moduleDir returns a directory inside the module that contains this
// package, so `go build` resolves the import path whatever the caller's
// working directory. With -trimpath the source location is unknown and the
// working directory has to be inside the module.
func moduleDir() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if _, err := os.Stat(file); err == nil {
			return filepath.Dir(file)
		}
	}
	return "" // the current directory
}

// tarSingleFile returns a tar archive holding path as an executable named
// name at the root: the image's whole filesystem.
func tarSingleFile(path, name string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("podmansvc: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Name:    name,
		Mode:    0o755,
		Size:    int64(len(data)),
		ModTime: time.Now(),
		Format:  tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("podmansvc: %w", err)
	}
	if _, err := tw.Write(data); err != nil {
		return nil, fmt.Errorf("podmansvc: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("podmansvc: %w", err)
	}
	return buf.Bytes(), nil
}

// Workload describes a container running the workload program: the
// shutdown behaviours the dashboard must handle, from a clean slow stop to a
// container that cannot start at all.
type Workload struct {
	// StopDelay is how long the program takes to exit after SIGTERM, like a
	// database flushing to disk.
	StopDelay time.Duration
	// IgnoreTerm makes the program ignore SIGTERM, so only Podman's SIGKILL
	// at the end of the stop timeout ends it (exit code 137).
	IgnoreTerm bool
	// StopTimeout is the container's --stop-timeout in seconds: how long
	// Podman waits after SIGTERM before SIGKILL. Zero keeps Podman's
	// default of 10 seconds.
	StopTimeout int
	// ExitAfter, if positive, makes the program exit by itself after that
	// long, with ExitCode.
	ExitAfter time.Duration
	ExitCode  int
	// BrokenEntrypoint points the entrypoint at a file that does not exist:
	// create succeeds and every start fails with an OCI "not found" error.
	BrokenEntrypoint bool
	// Start runs the container right away instead of only creating it.
	Start bool
	// LogEvery, if positive, makes the program print "out N" on stdout
	// and "err N" (with a terminal colour code) on stderr that often.
	LogEvery time.Duration
	// Healthcheck gives the container a healthcheck (`/workload health`,
	// failing once `podman exec NAME /workload sicken` ran) that Podman runs
	// only when asked (`podman healthcheck run NAME`): without systemd there
	// is no timer to run it, and a test decides when a check happens.
	Healthcheck bool
}

// CreateWorkload creates (and with w.Start, starts) a container called name
// from the workload image, building the image first if needed. A started
// workload is ready when it returns: its program handles SIGTERM. With both
// Start and BrokenEntrypoint the container is created and the start error
// is returned.
func (s *Service) CreateWorkload(name string, w Workload) error {
	image, err := s.BuildWorkloadImage()
	if err != nil {
		return err
	}
	args := []string{"create"}
	if w.Start {
		args = []string{"run", "--detach"}
	}
	// Never try a registry: there is none, and a typo in the image name
	// should fail at once.
	args = append(args, "--pull", "never", "--name", name)
	if w.StopTimeout > 0 {
		args = append(args, "--stop-timeout", strconv.Itoa(w.StopTimeout))
	}
	if w.StopDelay > 0 {
		args = append(args, "--env", "WORKLOAD_STOP_DELAY="+w.StopDelay.String())
	}
	if w.IgnoreTerm {
		args = append(args, "--env", "WORKLOAD_IGNORE_TERM=1")
	}
	if w.LogEvery > 0 {
		args = append(args, "--env", "WORKLOAD_LOG_EVERY="+w.LogEvery.String())
	}
	if w.ExitAfter > 0 {
		args = append(args,
			"--env", "WORKLOAD_EXIT_AFTER="+w.ExitAfter.String(),
			"--env", "WORKLOAD_EXIT_CODE="+strconv.Itoa(w.ExitCode))
	}
	if w.BrokenEntrypoint {
		args = append(args, "--entrypoint", "/does-not-exist")
	}
	if w.Healthcheck {
		args = append(args, "--health-cmd", `["/workload","health"]`,
			"--health-interval", "disable", "--health-retries", "1")
	}
	args = append(args, image)
	if _, err := s.Podman(args...); err != nil {
		return fmt.Errorf("podmansvc: workload %s: %w", name, err)
	}
	if w.Start {
		return s.waitWorkloadReady(name)
	}
	return nil
}

// workloadReadyLine is what the workload program prints once its signal
// handlers are in place (see workload/main.go).
const workloadReadyLine = "workload started"

// waitWorkloadReady waits until name's program has printed its start line.
// Podman's run returns once the process exists, before the program has
// caught SIGTERM; as PID 1 it drops SIGTERM until then, so a stop sent at
// once would wait for the whole stop timeout and end in a SIGKILL.
func (s *Service) waitWorkloadReady(name string) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		out, err := s.Podman("logs", name)
		if err != nil {
			return fmt.Errorf("podmansvc: workload %s: %w", name, err)
		}
		if strings.Contains(out, workloadReadyLine) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("podmansvc: workload %s did not print %q within %s; its log: %q", name, workloadReadyLine, readyTimeout, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
