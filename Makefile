# Build tags the podman bindings need: no gpgme, no btrfs or devicemapper
# headers. Every go command of the project uses them.
TAGS := containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper
GO   ?= go
GOFLAGS_TAGS := -tags '$(TAGS)'

include Makefile.css.mk

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## Build the podboard binary
	$(GO) build $(GOFLAGS_TAGS) -o podboard .

generate: ## Regenerate templ output
	$(GO) tool templ generate

.PHONY: help build generate
