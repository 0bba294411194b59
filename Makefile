# Build tags the podman bindings need: no gpgme, no btrfs or devicemapper
# headers. Every go command of the project uses them.
TAGS    := containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper
GO      ?= go
GOTAGS  := -tags '$(TAGS)'
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# What the demo and the tests need from Debian, as command:package.
APT_NEEDS := podman:podman runc:runc chromium:chromium sshd:openssh-server ssh-keygen:openssh-client

include Makefile.css.mk

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# The packages' own services (openssh-server's sshd) are kept from starting
# while they install: the tests start private servers of their own.
deps: ## Install what is missing: podman, runc, chromium, sshd (apt) and the Go modules
	@missing=""; for p in $(APT_NEEDS); do \
		PATH="$$PATH:/usr/sbin" command -v $${p%%:*} >/dev/null 2>&1 || missing="$$missing $${p#*:}"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null && $(SUDO) chmod 755 /usr/sbin/policy-rc.d && guard=1; fi; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; rc=$$?; \
		[ -z "$$guard" ] || $(SUDO) rm -f /usr/sbin/policy-rc.d; \
		[ $$rc = 0 ]; \
	fi
	$(GO) mod download

build: ## Build the podboard binary
	$(GO) build $(GOTAGS) -o podboard .

generate: ## Regenerate the templ output (then run make css if classes changed)
	$(GO) tool templ generate

demo: deps build ## Run the dashboard on http://127.0.0.1:8080 with demo containers on a private Podman
	$(GO) run ./lifecycle/podman/podmansvc/demo -podboard ./podboard -dir data/demo

demo-hosts: deps build ## The demo with a second private Podman, the host nas: rows grouped by host, a banner for each host
	$(GO) run ./lifecycle/podman/podmansvc/demo -podboard ./podboard -dir data/demo -hosts 2

check: check-generated check-css ## Static checks: gofmt, go vet, generated files current
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(GOTAGS) ./...

check-generated: ## Fail if templ generate would change the committed output
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp -r go.mod go.sum templates "$$tmp/"; \
	(cd "$$tmp" && $(GO) tool templ generate >/dev/null 2>&1) || { echo "templ generate failed"; exit 1; }; \
	if ! diff -r templates "$$tmp/templates" >/dev/null; then \
		diff -r templates "$$tmp/templates" | head -20; \
		echo "templates/*_templ.go are out of date: run make generate"; exit 1; \
	fi

test: deps check bench-smoke ## Run every test: unit, real Podman, real browser (race detector on)
	$(GO) test -race $(GOTAGS) -count=1 -timeout 30m ./...

.PHONY: help deps build generate demo demo-hosts check check-generated test

# Benchmarks: the harness is TestBenchReport in bench_harness_test.go, the
# report's prose docs/BENCHMARKS.tmpl.md; the Go benchmarks of the hot paths
# are the packages' *_bench_test.go files it runs.
BENCH_TEST := -run '^TestBenchReport$$' -count=1

bench: deps ## Measure everything (latency, fan-out, scan, overhead over Podman, footprint); writes docs/BENCHMARKS.md (about 25 min; PODBOARD_BENCH_ONLY=1c,7 selects sections and writes nothing)
	PODBOARD_BENCH=full $(GO) test $(GOTAGS) $(BENCH_TEST) -timeout 60m -v .

bench-smoke: deps ## Run every benchmark and measurement once at tiny sizes to keep them working; writes nothing
	PODBOARD_BENCH=smoke $(GO) test $(GOTAGS) $(BENCH_TEST) -timeout 10m .

.PHONY: bench bench-smoke

# Releases: a static binary and the container image, stamped with the
# version `podboard version` prints (the nearest tag, the commits since, the
# commit, -dirty; "dev" outside a git checkout).
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.revision=$(REVISION)

release: ## Build dist/podboard: static, trimmed, stripped, with its version; prints its size
	CGO_ENABLED=0 $(GO) build $(GOTAGS) -trimpath -ldflags '$(LDFLAGS)' -o dist/podboard .
	@size=$$(stat -c %s dist/podboard); echo "dist/podboard: $$(numfmt --to=iec-i --suffix=B --format=%.1f $$size) ($$size bytes)"
	@dist/podboard version

image: ## Build the image localhost/podboard:VERSION (and :latest) with the local Podman, no registry
	$(static-busybox)
	$(GO) mod download
	PODMAN='$(IMAGE_PODMAN)' BUILD_FLAGS='$(IMAGE_BUILD_FLAGS)' deploy/build-image.sh '$(VERSION)' '$(REVISION)'

# What a build step needs on the project's machines (runc, as crun fails
# there; rlimits they can grant): harmless on other hosts that have runc.
IMAGE_PODMAN      ?= podman $(if $(shell command -v runc),--runtime runc)
IMAGE_BUILD_FLAGS ?= --ulimit nofile=4096:4096 --ulimit nproc=4096:4096

# The shell of the builder image make image makes: Debian's static
# busybox, installed when /bin/busybox is missing or is the dynamic one.
# The image test needs it too.
APT_NEEDS += busybox:busybox-static
define static-busybox
@[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || { \
	echo "installing busybox-static"; \
	$(SUDO) apt-get update -qq && \
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null; }
endef

.PHONY: release image
