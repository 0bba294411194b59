#!/bin/sh
# Builds the podboard image from the Containerfile with the local Podman
# and no registry (make image runs this; so does the image test, on a
# private store):
#
#   deploy/build-image.sh VERSION [REVISION]
#
# The Containerfile's build stage runs on a builder image made here, once
# per Go version, by `podman import` of this machine's Go toolchain and a
# static busybox (the shell of the RUN steps). The host's Go module cache
# is mounted read-only and the module proxy is off, so nothing is
# downloaded: run `go mod download` first. The host's build cache is
# mounted too: the toolchain is the host's own, so what `make release`
# compiled is not compiled again. Tags localhost/podboard:VERSION and
# localhost/podboard:latest.
#
# PODMAN is the podman command (default: podman), for example with
# --root/--runroot for a private store; BUILD_FLAGS go to podman build.
set -eu

version=${1:?usage: deploy/build-image.sh VERSION [REVISION]}
revision=${2:-}
podman=${PODMAN:-podman}
busybox=${BUSYBOX:-/bin/busybox}
image=${IMAGE:-localhost/podboard}

cd "$(dirname "$0")/.."

goroot=$(go env GOROOT)
gover=$(go env GOVERSION)
modcache=$(go env GOMODCACHE)
gocache=$(go env GOCACHE)
mkdir -p "$gocache"
builder=localhost/podboard-builder:$gover

if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "build-image: $busybox is missing or not static: apt-get install busybox-static" >&2
	exit 1
fi

if ! $podman image exists "$builder"; then
	echo "build-image: making $builder from $goroot and $busybox"
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/bin" "$stage/tmp" "$stage/root" "$stage/go"
	chmod 1777 "$stage/tmp"
	cp "$busybox" "$stage/bin/busybox"
	for applet in $("$busybox" --list); do
		[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
	done
	# The toolchain at its own path (go finds its GOROOT from there),
	# without its tests and documents.
	rel=${goroot#/}
	tar -c -C "$stage" . -C / \
		--exclude="$rel/test" --exclude="$rel/api" --exclude="$rel/doc" --exclude="$rel/misc" \
		--exclude=testdata --exclude='*_test.go' "$rel" |
		$podman import --quiet \
			--change "ENV PATH=$goroot/bin:/bin" \
			--change "ENV GOPATH=/go" \
			--change "ENV HOME=/root" \
			--change "ENV GOTOOLCHAIN=local" \
			--change "ENV GOPROXY=off" \
			--change 'CMD ["/bin/sh"]' \
			- "$builder" >/dev/null
fi

$podman build --pull=never --network=none \
	--build-arg BUILDER="$builder" \
	--build-arg VERSION="$version" \
	--build-arg REVISION="$revision" \
	--volume "$modcache:/go/pkg/mod:ro" \
	--volume "$gocache:/root/.cache/go-build" \
	${BUILD_FLAGS:-} \
	--tag "$image:$version" --tag "$image:latest" \
	--file Containerfile .
