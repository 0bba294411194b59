// Command workload is the PID 1 of package podmansvc's containers. It stands
// in for a real service (bitcoin-core, a database) whose shutdown behaviour
// is what the dashboard has to cope with: slow clean stops, stops that never
// happen, and processes that exit on their own. Environment variables choose the
// behaviour so that one image serves every test:
//
//	WORKLOAD_STOP_DELAY   Go duration to wait after SIGTERM/SIGINT before exiting 0 (default 0)
//	WORKLOAD_IGNORE_TERM  "1" to ignore SIGTERM, so only the stop timeout's SIGKILL ends it
//	WORKLOAD_EXIT_AFTER   Go duration after which it exits by itself (default: never)
//	WORKLOAD_EXIT_CODE    exit code used with WORKLOAD_EXIT_AFTER (default 0)
//	WORKLOAD_LOG_EVERY    Go duration: print "out N" on stdout and "err N" on stderr that often
//
// Its subcommands serve healthchecks: `workload health` passes until
// `workload sicken` ran in the container, and again after `workload heal`.
//
// It must stay stdlib-only and build with CGO_ENABLED=0: the image holds this
// binary and nothing else.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		os.Exit(command(os.Args[1]))
	}
	stopDelay := durationEnv("WORKLOAD_STOP_DELAY")
	ignoreTerm := os.Getenv("WORKLOAD_IGNORE_TERM") == "1"
	exitAfter := durationEnv("WORKLOAD_EXIT_AFTER")
	exitCode := 0
	if v := os.Getenv("WORKLOAD_EXIT_CODE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fail("WORKLOAD_EXIT_CODE: %v", err)
		}
		exitCode = n
	}

	// As PID 1 the kernel drops signals that have no handler, so SIGTERM
	// must be caught explicitly even to ignore it: Notify without acting
	// keeps the process alive until Podman's SIGKILL.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	var exitTimer <-chan time.Time
	if exitAfter > 0 {
		exitTimer = time.After(exitAfter)
	}
	var logTick <-chan time.Time
	if every := durationEnv("WORKLOAD_LOG_EVERY"); every > 0 {
		logTick = time.NewTicker(every).C
	}
	logged := 0
	// podmansvc waits for this line: from now on SIGTERM is handled.
	fmt.Printf("workload started: stop_delay=%s ignore_term=%t exit_after=%s exit_code=%d\n",
		stopDelay, ignoreTerm, exitAfter, exitCode)

	for {
		select {
		case sig := <-sigs:
			if ignoreTerm && sig == syscall.SIGTERM {
				fmt.Printf("workload got %s: ignoring it\n", sig)
				continue
			}
			fmt.Printf("workload got %s: exiting in %s\n", sig, stopDelay)
			time.Sleep(stopDelay)
			os.Exit(0)
		case <-logTick:
			logged++
			fmt.Printf("out %d\n", logged)
			fmt.Fprintf(os.Stderr, "err %d \x1b[31mred\x1b[0m\n", logged)
		case <-exitTimer:
			fmt.Printf("workload exiting by itself with code %d\n", exitCode)
			os.Exit(exitCode)
		}
	}
}

func durationEnv(name string) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		fail("%s: %v", name, err)
	}
	return d
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "workload: "+format+"\n", args...)
	os.Exit(2)
}

// sickFile marks the workload unhealthy while it exists.
const sickFile = "/unhealthy"

// command runs one of the workload's subcommands, for healthchecks and
// podman exec, and returns its exit code:
//
//	health   exits 0 while the workload is healthy, 1 once it was made sick
//	sicken   makes it unhealthy
//	heal     makes it healthy again
func command(name string) int {
	switch name {
	case "health":
		if _, err := os.Stat(sickFile); err == nil {
			fmt.Println("unhealthy: " + sickFile + " exists")
			return 1
		}
		fmt.Println("healthy")
		return 0
	case "sicken":
		if err := os.WriteFile(sickFile, nil, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	case "heal":
		if err := os.Remove(sickFile); err != nil && !os.IsNotExist(err) {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "workload: unknown command %q\n", name)
	return 2
}
