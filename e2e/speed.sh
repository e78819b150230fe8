#!/usr/bin/env bash
# Whole-process speed of devfix on the e2e lab (make speed; root, Debian):
#
#   1. `devfix lint` of an image config against the reference CLI's
#      `devcontainer read-configuration --include-merged-configuration` of
#      the same config (which inspects the image and merges its label too),
#      rootless Docker daemon up; target >= 25x;
#   2. `devfix lint` of a compose repository against an image repository;
#   3. `--strategy acl` (reads the image's /etc/passwd) against `--strategy
#      root` under rootless Docker, the image's facts cached; target <= 2x;
#   4. rootless Podman by its CLI, no API service (as VS Code runs it), the
#      default keepid strategy (reads /etc/passwd), against
#      `read-configuration --docker-path podman
#      --include-merged-configuration`: the image seen before (its facts
#      cached; target >= 5x), and never seen (the cache emptied before each
#      run; target: not slower) from a vfs store (a container and podman cp)
#      and from an overlay store (the layer folders read directly).
#
# The two commands of a pair run in turn, RUNS times, inside one shell of
# the test user (so no runuser/env wrapper is timed), timed with bash's
# EPOCHREALTIME; it prints each median and the ratio of the medians. It
# asserts nothing: speed targets are measurements, not tests.
set -euo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E/.." && pwd)
WORK=$(mktemp -d /tmp/devfix-speed.XXXXXX)
chmod 755 "$WORK"
DEVFIX=$WORK/bin/devfix
ROOTFUL_SOCK=$WORK/rootful/docker.sock
T0=$(date +%s)
RUNS=${RUNS:-21}

. "$E2E/lib.sh"

[ "$(id -u)" = 0 ] || die "must run as root (it creates users and starts daemons)"

TUN_MODE=
cleanup() {
	local rc=$?
	set +e
	if [ -S "$ROOTFUL_SOCK" ]; then
		kill "$(cat "$WORK/rootful/pid" 2>/dev/null)" 2>/dev/null
		sleep 1
	fi
	remove_user "$E2E_USER"
	remove_user "$POD_USER"
	[ -n "$TUN_MODE" ] && chmod "$TUN_MODE" /dev/net/tun
	umount -R "$WORK/rootful/exec" 2>/dev/null
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_packages
build_devfix   # the binary a user installs: make build's (static, stripped)
create_user
start_daemons
make_images

img=$(new_ws speed-image)
write_config "$img" <<-'JSON'
	{
		"image": "devfix-e2e/vscode-label:1",
		"remoteUser": "vscode"
	}
	JSON
cmp=$(new_ws speed-compose)
write_config "$cmp" <<-'JSON'
	{
		"dockerComposeFile": "docker-compose.yml",
		"service": "app",
		"workspaceFolder": "/workspaces/speed-compose"
	}
	JSON
put "$E2E_USER" "$cmp/.devcontainer/docker-compose.yml" <<-'YAML'
	services:
	  app:
	    image: devfix-e2e/vscode-label:1
	    user: vscode
	    command: sleep infinity
	    volumes:
	      - ..:/workspaces/speed-compose:cached
	      - /var/run/docker.sock:/var/run/docker.sock
	YAML

# pair_as U NAME-A NAME-B 'CMD-A' 'CMD-B': RUNS of each, in turn, in one
# shell of user U (run_as's clean environment); the medians and B/A.
pair_as() {
	local u=$1; shift
	run_as "$u" DOCKER_HOST="${PAIR_DOCKER_HOST:-}" -- bash -c '
		[ -n "$DOCKER_HOST" ] || unset DOCKER_HOST
		runs=$1 a=$2 b=$3
		ta=() tb=()
		eval "$a" >/dev/null 2>&1; eval "$b" >/dev/null 2>&1   # warm-up
		for ((i = 0; i < runs; i++)); do
			t0=$EPOCHREALTIME; eval "$a" >/dev/null 2>&1; t1=$EPOCHREALTIME
			eval "$b" >/dev/null 2>&1; t2=$EPOCHREALTIME
			ta+=("$(( (${t1/./} - ${t0/./}) ))") tb+=("$(( (${t2/./} - ${t1/./}) ))")
		done
		med() { printf "%s\n" "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
		ma=$(med "${ta[@]}") mb=$(med "${tb[@]}")
		printf "%s %s\n" "$ma" "$mb"
	' _ "$RUNS" "$3" "$4" | {
		read -r ma mb
		# Microseconds in; milliseconds and the ratio out.
		awk -v a="$1" -v b="$2" -v ma="$ma" -v mb="$mb" -v runs="$RUNS" 'BEGIN {
			printf "%-44s %8.2f ms (median of %d)\n", a, ma / 1000, runs
			printf "%-44s %8.2f ms (median of %d)\n", b, mb / 1000, runs
			printf "%-44s %8.1f\n", "ratio " b " / " a, mb / ma
		}'
	}
}

# pair: as the rootless Docker test user, with its daemon.
pair() { PAIR_DOCKER_HOST="unix://$ROOTLESS_SOCK" pair_as "$E2E_USER" "$@"; }

# podman_store U NAME DRIVER: a Podman store of user U with its own
# storage.conf (driver vfs or overlay) and containers.conf (libpod's own
# database, which remembers the driver, beside it), and the label image
# imported into it. Prints the variables that select it.
podman_store() {
	local u=$1 name=$2 driver=$3 home root
	home=$(getent passwd "$u" | cut -d: -f6)
	root=$home/.local/share/containers/storage-$name
	put "$u" "$home/storage-$name.conf" <<-EOF
		[storage]
		driver = "$driver"
		graphroot = "$root"
		runroot = "$WORK/xdg-$u/containers-$name"
	EOF
	put "$u" "$home/containers-$name.conf" <<-EOF
		[engine]
		static_dir = "$root/libpod"
		tmp_dir = "$WORK/xdg-$u/libpod-$name"
		volume_path = "$root/volumes"
	EOF
	echo "CONTAINERS_STORAGE_CONF=$home/storage-$name.conf CONTAINERS_CONF=$home/containers-$name.conf"
}

# podman_import U VARS: the label image into the store VARS select.
podman_import() {
	local u=$1; shift
	run_as "$u" "$@" -- podman import -q \
		--change 'LABEL devcontainer.metadata="[{\"remoteUser\":\"vscode\"}]"' \
		"$ROOTFS_TAR" devfix-e2e/vscode-label:1 >/dev/null 2>"$WORK/import.err" ||
		{ echo "podman import failed: $(tail -n 1 "$WORK/import.err")" >&2; return 1; }
}

echo
log "whole process, rootless Docker daemon up ($("$DEVFIX" version))"
pair "devfix lint (image config)" "devcontainer read-configuration (merged)" \
	"$DEVFIX lint $img" "devcontainer read-configuration --include-merged-configuration --workspace-folder $img"
echo
pair "devfix lint (image repo)" "devfix lint (compose repo)" \
	"$DEVFIX lint $img" "$DEVFIX lint $cmp"
echo
"$DEVFIX" version >/dev/null
rootless -- "$DEVFIX" lint --strategy acl "$img" >/dev/null 2>&1 || true   # the image's facts into the cache
pair "devfix lint --strategy root" "devfix lint --strategy acl (cached)" \
	"$DEVFIX lint --strategy root $img" "$DEVFIX lint --strategy acl $img"

echo
log "rootless Podman by its CLI, no API service"
new_user "$POD_USER"
pod_home=$(getent passwd "$POD_USER" | cut -d: -f6)
pws=$(new_ws_of "$POD_USER" speed-podman)
write_config "$pws" "$POD_USER" <<-'JSON'
	{
		"image": "localhost/devfix-e2e/vscode-label:1",
		"remoteUser": "vscode"
	}
	JSON
install -d -o "$POD_USER" "$pod_home/.config" "$pod_home/.config/Code" "$pod_home/.config/Code/User"
echo '{ "dev.containers.dockerPath": "podman" }' | put "$POD_USER" "$pod_home/.config/Code/User/settings.json"
readcfg="devcontainer read-configuration --docker-path podman --include-merged-configuration --workspace-folder $pws"
for driver in vfs overlay; do
	vars=$(podman_store "$POD_USER" "$driver" "$driver")
	# shellcheck disable=SC2086 # two NAME=VALUE words
	podman_import "$POD_USER" $vars || continue
	echo
	# shellcheck disable=SC2086
	log "Podman store: $driver (podman says $(run_as "$POD_USER" $vars -- podman image inspect --format '{{.GraphDriver.Name}}' localhost/devfix-e2e/vscode-label:1))"
	cache=$pod_home/.cache/devfix
	PAIR_DOCKER_HOST= pair_as "$POD_USER" "devfix lint, image never seen ($driver)" "read-configuration (merged)" \
		"export $vars; rm -rf $cache; $DEVFIX lint $pws" "export $vars; $readcfg"
	PAIR_DOCKER_HOST= pair_as "$POD_USER" "devfix lint, image seen before ($driver)" "read-configuration (merged)" \
		"export $vars; $DEVFIX lint $pws" "export $vars; $readcfg"
	PAIR_DOCKER_HOST= pair_as "$POD_USER" "podman image inspect (devfix's floor)" "devfix lint, image seen before ($driver)" \
		"export $vars; podman image inspect localhost/devfix-e2e/vscode-label:1" "export $vars; $DEVFIX lint $pws"
done
