// Command demo runs the dashboard against a private Podman service holding
// a handful of demo containers built from the workload image: a node that
// takes 20 s to stop cleanly (stop timeout 600 s), a web server that stops
// at once, one that ignores SIGTERM and is killed after its 5 s timeout, a
// stopped worker, one whose start always fails, and one with a healthcheck,
// which the demo runs every 10 s as a host's systemd timer would. With
// -hosts 2 a second private service, the host "nas", holds two more, and
// the dashboard follows both hosts. Nothing touches the host's own
// containers. Ctrl-C stops the dashboard, then the services, all by PID.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"podboard/lifecycle/podman/podmansvc"
)

// container is one of the demo's containers: its name and its workload.
type container struct {
	name string
	w    podmansvc.Workload
}

var demo = []container{
	{"bitcoind", podmansvc.Workload{StopDelay: 20 * time.Second, StopTimeout: 600, Start: true}},
	{"web", podmansvc.Workload{StopTimeout: 10, Start: true}},
	{"stubborn", podmansvc.Workload{IgnoreTerm: true, StopTimeout: 5, Start: true}},
	{"worker", podmansvc.Workload{StopDelay: 2 * time.Second, StopTimeout: 30}},
	{"broken", podmansvc.Workload{BrokenEntrypoint: true}},
	{"api", podmansvc.Workload{StopTimeout: 10, Start: true, Healthcheck: true}},
}

// nas is the second host's containers, with -hosts 2: a name the first
// host has too, and one of its own.
var nas = []container{
	{"web", podmansvc.Workload{StopTimeout: 10, Start: true}},
	{"backup", podmansvc.Workload{StopDelay: 5 * time.Second, StopTimeout: 60, Start: true}},
}

// healthEvery is how often the demo runs the healthchecks: Podman leaves
// that to systemd timers, and the private service has none.
const healthEvery = 10 * time.Second

// checkHealth runs the healthcheck of every demo container that has one,
// every healthEvery, until ctx ends. A failing check is the point of the
// demo, not an error.
func checkHealth(ctx context.Context, svc *podmansvc.Service) {
	t := time.NewTicker(healthEvery)
	defer t.Stop()
	for {
		for _, d := range demo {
			if d.w.Healthcheck {
				_, _ = svc.PodmanContext(ctx, "healthcheck", "run", d.name)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func main() {
	dir := flag.String("dir", "data/demo", "directory for the private Podman store and the dashboard's data")
	bin := flag.String("podboard", "./podboard", "the dashboard binary")
	listen := flag.String("listen", "127.0.0.1:8080", "address the dashboard serves on")
	hosts := flag.Int("hosts", 1, "1, or 2 for a second private Podman, the host nas")
	flag.Parse()
	if *hosts != 1 && *hosts != 2 {
		fmt.Fprintln(os.Stderr, "demo: -hosts: want 1 or 2")
		os.Exit(2)
	}
	if err := run(*dir, *bin, *listen, *hosts); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(dir, bin, listen string, hosts int) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	svc, err := launch(filepath.Join(dir, "podman"), demo)
	if err != nil {
		return err
	}
	defer svc.Close()
	args := []string{"--listen", listen, "--podman", svc.URI, "--scan-interval", "2s"}
	var second *podmansvc.Service
	if hosts == 2 {
		if second, err = launch(filepath.Join(dir, "podman-nas"), nas); err != nil {
			return err
		}
		defer second.Close()
		args = []string{"--listen", listen, "--podman", "local=" + svc.URI, "--podman", "nas=" + second.URI, "--scan-interval", "2s"}
	}

	data := filepath.Join(dir, "dashboard")
	password, err := demoUser(bin, data)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := exec.Command(bin, append(args, "--data", data)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the dashboard: %w", err)
	}
	fmt.Printf("demo: dashboard on http://%s (Podman %s); Ctrl-C stops both\n", listen, svc.URI)
	fmt.Printf("demo: sign in as %s with the password %s\n", demoName, password)
	fmt.Printf("demo: change containers from a shell with: podman --remote --url %s ps -a\n", svc.URI)
	if second != nil {
		fmt.Printf("demo: the host nas is %s; take it down with: kill -STOP %d (back: kill -CONT %d)\n", second.URI, second.PID(), second.PID())
	}
	fmt.Printf("demo: make api unhealthy with: podman --remote --url %s exec api /workload sicken (heal: /workload heal)\n", svc.URI)
	go checkHealth(ctx, svc)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return fmt.Errorf("the dashboard exited: %v", err)
	case <-ctx.Done():
	}
	// The dashboard waits for running operations; a second Ctrl-C reaches
	// it too and ends it at once.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	return nil
}

// launch starts a private Podman service in dir with the workload image
// and the containers cs, those it does not have yet. The caller closes it.
func launch(dir string, cs []container) (*podmansvc.Service, error) {
	svc, err := podmansvc.Launch(dir)
	if err != nil {
		return nil, err
	}
	if err := fill(svc, cs); err != nil {
		svc.Close()
		return nil, err
	}
	return svc, nil
}

// fill builds the workload image on svc and creates the containers cs it
// does not have.
func fill(svc *podmansvc.Service, cs []container) error {
	if _, err := svc.BuildWorkloadImage(); err != nil {
		return err
	}
	for _, c := range cs {
		if _, err := svc.Podman("container", "exists", c.name); err == nil {
			continue
		}
		if err := svc.CreateWorkload(c.name, c.w); err != nil {
			return fmt.Errorf("create %s: %w", c.name, err)
		}
	}
	return nil
}

// demoName is the user the demo signs in as.
const demoName = "demo"

// demoUser gives the demo user a fresh password, creating the user on the
// first run, with the dashboard's own commands; it returns the password.
func demoUser(bin, data string) (string, error) {
	password := rand.Text()[:16]
	verb := "passwd"
	if out, err := exec.Command(bin, "user", "list", "--data", data).Output(); err != nil {
		return "", fmt.Errorf("podboard user list: %w", err)
	} else if !strings.Contains("\n"+string(out), "\n"+demoName+" ") {
		verb = "add"
	}
	cmd := exec.Command(bin, "user", verb, demoName, "--password-stdin", "--data", data)
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("podboard user %s %s: %v: %s", verb, demoName, err, out)
	}
	return password, nil
}
