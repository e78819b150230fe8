#!/usr/bin/env bash
# Whole-process speed of devfix on the e2e lab (make speed; root, Debian):
#
#   1. `devfix lint` of an image config against the reference CLI's
#      `devcontainer read-configuration` of the same config, rootless daemon
#      up (devfix reads the image's label from it);
#   2. `devfix lint` of a compose repository against an image repository.
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

[ "$(id -u)" = 0 ] || die "must run as root (it creates a user and starts daemons)"

TUN_MODE=
cleanup() {
	local rc=$?
	set +e
	if [ -S "$ROOTFUL_SOCK" ]; then
		kill "$(cat "$WORK/rootful/pid" 2>/dev/null)" 2>/dev/null
		sleep 1
	fi
	remove_user "$E2E_USER"
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

# pair NAME-A NAME-B 'CMD-A' 'CMD-B': RUNS of each, in turn, as the test
# user with its rootless daemon; the medians and B/A.
pair() {
	rootless -- bash -c '
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
			printf "%-34s %8.2f ms (median of %d)\n", a, ma / 1000, runs
			printf "%-34s %8.2f ms (median of %d)\n", b, mb / 1000, runs
			printf "%-34s %8.1f\n", "ratio " b " / " a, mb / ma
		}'
	}
}

echo
log "whole process, daemon up ($("$DEVFIX" version))"
pair "devfix lint (image config)" "devcontainer read-configuration" \
	"$DEVFIX lint $img" "devcontainer read-configuration --workspace-folder $img"
echo
pair "devfix lint (image repo)" "devfix lint (compose repo)" \
	"$DEVFIX lint $img" "$DEVFIX lint $cmp"
