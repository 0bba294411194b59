# CSS and vendored browser files. Included from the main Makefile; run from
# the repository root (Tailwind's content globs are relative to it).
SHELL := /bin/bash

# Leave the including Makefile's default goal alone, wherever this is included.
_css_mk_default_goal := $(.DEFAULT_GOAL)

CSS_IN       := static/css/input.css
CSS_OUT      := static/css/app.css
CSS_SUM      := static/css/app.css.sum
CSS_INPUTS   := static/css/inputs.sh
# --no: never download a tailwindcss that package-lock.json did not install;
# the -- keeps npx from reading tailwind's -c as its own --call.
TAILWIND     := BROWSERSLIST_IGNORE_OLD_DATA=1 npx --no -- tailwindcss -c tailwind.config.js -i $(CSS_IN) --minify
NPM_CI       := npm ci --no-audit --no-fund

.PHONY: css vendor check-css

node_modules: package-lock.json ## Install the pinned npm packages (npm ci) when package-lock.json is newer
	$(NPM_CI)
	@touch node_modules

css: node_modules ## Rebuild static/css/app.css from templates and tailwind.config.js
	$(TAILWIND) -o $(CSS_OUT)
	@sh $(CSS_INPUTS) > $(CSS_SUM).tmp && mv $(CSS_SUM).tmp $(CSS_SUM)
	@echo "wrote $(CSS_OUT) and $(CSS_SUM)"

vendor: node_modules ## Refresh static/vendor/*.js from the pinned htmx.org and htmx-ext-sse packages
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.js static/vendor/sse.js

check-css: ## Fail if static/css/app.css is out of date (npm runs only if the inputs changed)
	@set -euo pipefail; \
	have=$$(sh $(CSS_INPUTS)); \
	want=$$(cat $(CSS_SUM) 2>/dev/null || true); \
	if [ "$$have" = "$$want" ]; then \
		echo "check-css: $(CSS_OUT) is up to date (inputs match $(CSS_SUM))"; \
		exit 0; \
	fi; \
	echo "check-css: inputs changed since $(CSS_SUM) was written; rebuilding to compare"; \
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then \
		$(NPM_CI); touch node_modules; \
	fi; \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(TAILWIND) -o "$$tmp/app.css" 2>"$$tmp/log" || { cat "$$tmp/log" >&2; exit 1; }; \
	if ! cmp -s "$$tmp/app.css" $(CSS_OUT); then \
		echo "static/css/app.css is out of date: run make css" >&2; \
		exit 1; \
	fi; \
	echo "check-css: $(CSS_OUT) is current, but $(CSS_SUM) is stale: refresh it with make css"

.DEFAULT_GOAL := $(_css_mk_default_goal)
