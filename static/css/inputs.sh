#!/bin/sh
# Print one sha256 over everything that static/css/app.css is built from:
# tailwind.config.js, static/css/input.css, package-lock.json (pins the
# Tailwind version), templates/**/*.templ, hand-written templates/**/*.go (not tests)
# (*_templ.go is generated from the .templ files, so it is skipped) and
# static/js/**/*.js. Files are listed by path in byte order; the digest covers
# each file's path and content. `make css` stores it in static/css/app.css.sum
# and `make check-css` compares against it.
set -eu

cd "$(dirname "$0")/../.."

for f in tailwind.config.js static/css/input.css package-lock.json; do
	[ -f "$f" ] || { echo "inputs.sh: missing $f" >&2; exit 1; }
done

if command -v sha256sum >/dev/null 2>&1; then
	sha() { sha256sum "$@"; }
else
	sha() { shasum -a 256 "$@"; }
fi

{
	printf '%s\n' tailwind.config.js static/css/input.css package-lock.json
	if [ -d templates ]; then
		find templates -type f \( -name '*.templ' -o \( -name '*.go' ! -name '*_templ.go' ! -name '*_test.go' \) \) -print
	fi
	if [ -d static/js ]; then
		find static/js -type f -name '*.js' -print
	fi
} | LC_ALL=C sort | while IFS= read -r f; do
	sha "$f"
done | sha | cut -d' ' -f1
