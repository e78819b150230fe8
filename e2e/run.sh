#!/usr/bin/env bash
# End-to-end tests of devfix on a real rootless Docker daemon with the
# reference Dev Containers CLI (../shared/LAB.md has the recipe and quirks).
#
# Runs as root on Debian; installs what it needs itself, every time
# (idempotent); creates a test user with its own rootless dockerd and a
# rootful dockerd beside it; cleans everything up on exit, so it can run
# again. Each scenario prints PASS, FAIL (with why and a log tail) or
# NOT YET (the devfix feature it needs has not landed). Exit 1 if any FAILs.
set -euo pipefail

CLI_VERSION=0.89.0                        # @devcontainers/cli, pinned
E2E_USER=devfixe2e                        # local user, gets /etc/subuid ranges
STATE=/opt/devfix-e2e                     # npm prefix, cached image tarball
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/devfix-e2e.XXXXXX)  # per run; removed on exit
chmod 755 "$WORK"
DEVFIX=$WORK/bin/devfix
ROOTFUL_SOCK=$WORK/rootful/docker.sock
T0=$(date +%s)

passed=0 failed=0 skipped=0

log() { printf '[%3ds] %s\n' $(( $(date +%s) - T0 )) "$*"; }
die() { echo "e2e: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it creates users and starts daemons); in CI it does"
command -v apt-get >/dev/null || die "needs a Debian machine (apt-get)"

# ---------------------------------------------------------------- set-up

install_packages() {
	local pkgs=(docker.io rootlesskit uidmap slirp4netns busybox-static acl libnss-extrausers pre-commit)
	local missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
	fi
	local have
	have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$STATE/npm/node_modules/@devcontainers/cli/package.json" 2>/dev/null | head -1 || true)
	if [ "$have" != "$CLI_VERSION" ]; then
		log "installing @devcontainers/cli@$CLI_VERSION"
		mkdir -p "$STATE/npm"
		npm install --silent --no-audit --no-fund --prefix "$STATE/npm" "@devcontainers/cli@$CLI_VERSION" >/dev/null
	fi
	chmod -R a+rX "$STATE"
}

build_devfix() {
	log "building devfix"
	mkdir -p "$WORK/bin"
	(cd "$REPO" && PATH=/usr/local/go/bin:$PATH go build -o "$DEVFIX" ./cmd/devfix)
	chmod 755 "$WORK/bin" "$DEVFIX"
}

# remove_user U: kill its processes, delete it and its subordinate ranges.
remove_user() {
	local u=$1
	id "$u" >/dev/null 2>&1 || return 0
	pkill -KILL -u "$u" 2>/dev/null || true
	sleep 1
	userdel -r "$u" >/dev/null 2>&1 || userdel -f -r "$u" >/dev/null 2>&1 || true
	sed -i "/^$u:/d" /etc/subuid /etc/subgid
}

TUN_MODE=
SUMMARY=
cleanup() {
	local rc=$?
	set +e
	log "cleaning up"
	if [ -S "$ROOTFUL_SOCK" ]; then
		DOCKER_HOST=unix://$ROOTFUL_SOCK docker rm -f $(DOCKER_HOST=unix://$ROOTFUL_SOCK docker ps -aq) >/dev/null 2>&1
		kill "$(cat "$WORK/rootful/pid" 2>/dev/null)" 2>/dev/null
		sleep 1
	fi
	remove_user "$E2E_USER"
	remove_domain_user
	[ -n "$TUN_MODE" ] && chmod "$TUN_MODE" /dev/net/tun
	umount -R "$WORK/rootful/exec" 2>/dev/null
	rm -rf "$WORK" 2>/dev/null
	[ -z "$SUMMARY" ] || echo "$SUMMARY"
	exit $rc
}
trap cleanup EXIT

create_user() {
	remove_user "$E2E_USER"
	useradd -m -s /bin/bash "$E2E_USER"   # -m also allocates /etc/subuid and /etc/subgid ranges
	grep -q "^$E2E_USER:" /etc/subuid || die "useradd gave $E2E_USER no /etc/subuid range"
	E2E_UID=$(id -u "$E2E_USER")
	E2E_HOME=$(getent passwd "$E2E_USER" | cut -d: -f6)
	SUBUID_START=$(grep "^$E2E_USER:" /etc/subuid | head -1 | cut -d: -f2)
	XDG=$WORK/xdg-$E2E_USER
	install -d -m 700 -o "$E2E_USER" "$XDG"
	ROOTLESS_SOCK=$XDG/docker.sock
}

# as_user ENV... -- CMD...: run a command (argv, no shell) as the test user
# in a clean environment with its runtime dir and daemon.
as_user() {
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	runuser -u "$E2E_USER" -- env -i HOME="$E2E_HOME" USER="$E2E_USER" LOGNAME="$E2E_USER" \
		PATH="$STATE/npm/node_modules/.bin:/usr/share/docker.io/contrib:/usr/sbin:/usr/bin:/sbin:/bin" \
		XDG_RUNTIME_DIR="$XDG" "${envs[@]}" "$@"
}
rootless() { as_user DOCKER_HOST="unix://$ROOTLESS_SOCK" "$@"; }

start_daemons() {
	TUN_MODE=$(stat -c %a /dev/net/tun)
	chmod 666 /dev/net/tun   # slirp4netns needs it (LAB quirk); restored on exit
	log "starting the rootless dockerd of $E2E_USER"
	runuser -u "$E2E_USER" -- env -i HOME="$E2E_HOME" USER="$E2E_USER" XDG_RUNTIME_DIR="$XDG" \
		PATH=/usr/share/docker.io/contrib:/usr/sbin:/usr/bin:/sbin:/bin \
		setsid dockerd-rootless.sh >"$WORK/rootless.log" 2>&1 < /dev/null &
	log "starting a rootful dockerd on its own socket"
	mkdir -p "$WORK/rootful/data" "$WORK/rootful/exec"
	setsid dockerd --host "unix://$ROOTFUL_SOCK" --data-root "$WORK/rootful/data" --exec-root "$WORK/rootful/exec" \
		--pidfile "$WORK/rootful/pid" --bridge none --iptables=false >"$WORK/rootful.log" 2>&1 < /dev/null &
	for i in $(seq 1 60); do
		if rootless -- docker info >/dev/null 2>&1 && DOCKER_HOST=unix://$ROOTFUL_SOCK docker info >/dev/null 2>&1; then
			break
		fi
		[ "$i" = 60 ] && { tail -20 "$WORK/rootless.log" "$WORK/rootful.log"; die "daemons did not come up in 60s"; }
		sleep 1
	done
	rootless -- docker info --format '{{json .SecurityOptions}}' | grep -q 'name=rootless' || die "the user's daemon is not rootless"
	# The teammate on rootful Docker: access to the rootful socket (= docker group).
	chown "$E2E_USER" "$ROOTFUL_SOCK"
}

# An image from busybox with a vscode user (UID 1000, home owned by it), one
# with the devcontainer.metadata label the published images carry, one without.
make_images() {
	local tarball=$STATE/vscode-rootfs.tar
	if [ ! -s "$tarball" ]; then
		log "building the busybox rootfs"
		local r=$WORK/rootfs
		mkdir -p "$r"/{bin,etc,home/vscode,root,tmp,workspaces,usr/bin,sbin,usr/sbin,var/run}
		cp /bin/busybox "$r/bin/busybox"
		for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
		printf 'root:x:0:0:root:/root:/bin/sh\nvscode:x:1000:1000:vscode:/home/vscode:/bin/sh\n' >"$r/etc/passwd"
		printf 'root:x:0:\nvscode:x:1000:\n' >"$r/etc/group"
		chmod 1777 "$r/tmp"
		chown 1000:1000 "$r/home/vscode"
		tar -C "$r" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
		chmod 644 "$tarball"
	fi
	log "importing images into both daemons"
	local label='LABEL devcontainer.metadata="[{\"remoteUser\":\"vscode\"}]"'
	for host in "unix://$ROOTLESS_SOCK" "unix://$ROOTFUL_SOCK"; do
		as_user DOCKER_HOST="$host" -- docker import "$tarball" devfix-e2e/vscode:1 >/dev/null
		as_user DOCKER_HOST="$host" -- docker import -c "$label" "$tarball" devfix-e2e/vscode-label:1 >/dev/null
	done
}

# ---------------------------------------------------------------- helpers

# new_ws NAME: an empty workspace folder of the test user; prints its path.
new_ws() {
	local ws=$E2E_HOME/ws/$1
	install -d -o "$E2E_USER" -m 755 "$E2E_HOME/ws" "$ws" "$ws/.devcontainer"
	echo "$ws"
}

# write_config WS: the config from stdin, owned by the test user.
write_config() {
	install -o "$E2E_USER" -m 644 /dev/stdin "$1/.devcontainer/devcontainer.json"
}

# up WS ENV...: devcontainer up as the test user; log in $WORK/up.log.
up() {
	local ws=$1; shift
	down "$ws" "$@"
	as_user "$@" -- devcontainer up --workspace-folder "$ws" >"$WORK/up.log" 2>&1
}

# run_in WS ENV... -- CMD...: devcontainer exec as the remote user.
run_in() {
	local ws=$1; shift
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	as_user "${envs[@]}" -- devcontainer exec --workspace-folder "$ws" "$@" 2>"$WORK/exec.err"
}

# down WS ENV...: remove the workspace's container.
down() {
	local ws=$1; shift
	local ids
	ids=$(as_user "$@" -- docker ps -aq --filter "label=devcontainer.local_folder=$ws" 2>/dev/null || true)
	[ -z "$ids" ] || as_user "$@" -- docker rm -f $ids >/dev/null 2>&1 || true
}

devfix() { rootless -- "$DEVFIX" "$@"; }

# has_feature DESC CMD...: whether devfix has a feature (asked of the binary).
has_feature() { shift; "$@" >/dev/null 2>&1; }

scenario() {
	local n=$1 title=$2 fn=$3
	echo
	echo "== scenario $n: $title"
	local t=$(date +%s)
	set +e
	( set -e; "$fn" )
	local rc=$?
	set -e
	case $rc in
	0) echo "PASS ($(( $(date +%s) - t ))s)"; passed=$((passed + 1)) ;;
	3) skipped=$((skipped + 1)) ;;
	*) echo "FAIL ($(( $(date +%s) - t ))s): $(cat "$WORK/reason" 2>/dev/null || echo "exit $rc")"
	   for f in up.log exec.err; do [ -s "$WORK/$f" ] && { echo "--- tail of $f"; tail -8 "$WORK/$f"; }; done
	   failed=$((failed + 1)) ;;
	esac
	rm -f "$WORK/reason" "$WORK/up.log" "$WORK/exec.err"
}

# check COND-DESC CMD...: run CMD; on failure record why and fail the scenario.
check() {
	local desc=$1; shift
	if ! "$@"; then
		echo "$desc" >"$WORK/reason"
		return 1
	fi
}
not_yet() { echo "NOT YET: $*"; exit 3; }

owner_of() { stat -c %u "$1"; }

# ---------------------------------------------------------------- scenarios

seed_config() {
	cat <<-'JSON'
	// The seed: a template's config on a rootless host.
	{
		"image": "devfix-e2e/vscode:1", // busybox with a vscode user
		// Run as the non-root user the image sets up.
		"remoteUser": "vscode"
	}
	JSON
}

# before_after WS: up; touch must fail (Permission denied); devfix apply;
# up; touch must work and the file must be the host user's.
before_after() {
	local ws=$1 base
	base=$(basename "$ws")
	check "devcontainer up failed before the fix" up "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	if run_in "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK" -- touch "/workspaces/$base/probe"; then
		check "writing the workspace worked BEFORE the fix: the test proves nothing" false
	fi
	check "before the fix, the failure was not 'Permission denied'" grep -q "Permission denied" "$WORK/exec.err"
	check "devfix apply failed" devfix apply "$ws"
	check "devcontainer up failed after the fix" up "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	check "writing the workspace failed after the fix" run_in "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK" -- touch "/workspaces/$base/probe"
	check "the file is owned by $(owner_of "$ws/probe"), not the host user $E2E_UID" [ "$(owner_of "$ws/probe")" = "$E2E_UID" ]
	down "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
}

s1_seed() {
	local ws
	ws=$(new_ws seed)
	seed_config | write_config "$ws"
	before_after "$ws"
	local f=$ws/.devcontainer/devcontainer.json
	check "a comment was lost" grep -q "// The seed: a template's config on a rootless host." "$f"
	check "a comment was lost" grep -q "// busybox with a vscode user" "$f"
	check "a comment was lost" grep -q "// Run as the non-root user the image sets up." "$f"
	check "remoteUser is not root" grep -q '"remoteUser": "root"' "$f"
	check "a second apply changed something" devfix apply --check "$ws"
}

s2_label() {
	local ws
	ws=$(new_ws label)
	write_config "$ws" <<-'JSON'
	{
		// No remoteUser: the image's devcontainer.metadata label names vscode.
		"image": "devfix-e2e/vscode-label:1"
	}
	JSON
	before_after "$ws"
	check "remoteUser root was not written explicitly" grep -q '"remoteUser": "root"' "$ws/.devcontainer/devcontainer.json"
}

s3_env() {
	local ws base
	ws=$(new_ws envstrategy)
	base=$(basename "$ws")
	seed_config | write_config "$ws"
	check "devfix apply --strategy env failed" devfix apply --strategy env "$ws"
	check "remoteUser does not read DEVFIX_REMOTE_USER" grep -q 'DEVFIX_REMOTE_USER:vscode' "$ws/.devcontainer/devcontainer.json"
	has_feature shellenv "$DEVFIX" shellenv --help || not_yet "devfix shellenv (shellenv issue)"
	# On rootless, as a user does: eval "$(devfix shellenv)", then the CLI.
	local evalrun='eval "$("$1" shellenv --shell sh)" && shift && exec "$@"'
	eval_up() { rootless -- bash -c "$evalrun" _ "$DEVFIX" devcontainer up --workspace-folder "$ws" >"$WORK/up.log" 2>&1; }
	check "up on rootless (after eval \"\$(devfix shellenv)\") failed" eval_up
	check "writing the workspace on rootless failed" \
		rootless -- bash -c "$evalrun" _ "$DEVFIX" devcontainer exec --workspace-folder "$ws" touch "/workspaces/$base/rootless"
	check "the rootless file is not the host user's" [ "$(owner_of "$ws/rootless")" = "$E2E_UID" ]
	local who
	who=$(rootless -- bash -c "$evalrun" _ "$DEVFIX" devcontainer exec --workspace-folder "$ws" id -un 2>/dev/null) || true
	check "on rootless the remote user is '$who', not root" [ "$who" = root ]
	down "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	# The same committed file for a teammate on rootful Docker, no variables:
	# vscode, whose UID updateRemoteUserUID makes the host user's.
	check "up on rootful failed" up "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK"
	who=$(run_in "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK" -- id -un) || true
	check "on rootful the remote user is '$who', not vscode" [ "$who" = vscode ]
	check "writing the workspace on rootful failed" run_in "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK" -- touch "/workspaces/$base/rootful"
	check "the rootful file is not the host user's" [ "$(owner_of "$ws/rootful")" = "$E2E_UID" ]
	down "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK"
}

s4_acl() {
	local ws base
	ws=$(new_ws aclstrategy)
	base=$(basename "$ws")
	seed_config | write_config "$ws"
	check "devfix apply --strategy acl failed" devfix apply --strategy acl "$ws"
	check "remoteUser is no longer vscode" grep -q '"remoteUser": "vscode"' "$ws/.devcontainer/devcontainer.json"
	local mapped=$((SUBUID_START + E2E_UID - 1))
	check "no ACL for host UID $mapped on the workspace" bash -c "getfacl -n '$ws' 2>/dev/null | grep -q '^user:$mapped:rwx'"
	check "up failed" up "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	local who
	who=$(run_in "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK" -- id -un) || true
	check "the remote user is '$who', not vscode" [ "$who" = vscode ]
	check "vscode cannot write the workspace" run_in "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK" -- sh -c "mkdir -p /workspaces/$base/made && echo hi > /workspaces/$base/made/file"
	check "the host user cannot edit what vscode made" as_user -- sh -c "echo edit >> '$ws/made/file'"
	check "the host user cannot delete what vscode made" as_user -- rm -r "$ws/made"
	down "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
}

s5_socket() {
	has_feature mounts "$DEVFIX" rules --format json && "$DEVFIX" rules | grep -q docker-socket || not_yet "docker socket rule (mounts issue)"
	local ws
	ws=$(new_ws socket)
	write_config "$ws" <<-'JSON'
	{
		"image": "devfix-e2e/vscode:1",
		"remoteUser": "root",
		"updateRemoteUserUID": false,
		"mounts": ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"]
	}
	JSON
	if up "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"; then check "up worked BEFORE the fix" false; fi
	check "devfix apply failed" devfix apply "$ws"
	check "up failed after the fix" up "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	check "the mount target is not a socket" run_in "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK" -- test -S /var/run/docker.sock
	local id sources
	id=$(rootless -- docker ps -q --filter "label=devcontainer.local_folder=$ws")
	sources=$(rootless -- docker inspect --format '{{range .Mounts}}{{.Source}} {{end}}' "$id")
	check "the socket mounted is not the rootless daemon's ($sources)" grep -q "$ROOTLESS_SOCK" <<<"$sources"
	down "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
}

s6_reclaim() {
	has_feature reclaim "$DEVFIX" reclaim --help || not_yet "devfix reclaim (mounts issue)"
	local ws base
	ws=$(new_ws reclaim)
	base=$(basename "$ws")
	seed_config | write_config "$ws"
	# Let vscode write, as a lock-out does: open the folder for it first.
	chmod 777 "$ws"
	check "up failed" up "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	check "vscode could not leave files behind" run_in "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK" -- sh -c "mkdir /workspaces/$base/left && echo x > /workspaces/$base/left/file"
	down "$ws" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	chmod 755 "$ws"
	check "the files are not subuid-owned before reclaim" [ "$(owner_of "$ws/left/file")" != "$E2E_UID" ]
	check "devfix reclaim failed" devfix reclaim "$ws"
	check "reclaim did not give the files back" [ "$(owner_of "$ws/left/file")" = "$E2E_UID" ]
}

DOM_USER=devfixdom
DOM_UID=1551001108   # a typical SSSD id-mapped UID
DOM_XDG=$WORK/xdg-$DOM_USER
NSSWITCH_BACKUP=$WORK/nsswitch.conf   # a fixed path: scenarios run in subshells

# A user that exists for NSS only (libnss-extrausers), like an SSSD/LDAP
# user: no /etc/passwd line, no /etc/subuid range.
make_domain_user() {
	remove_domain_user
	install -d -m 755 /var/lib/extrausers
	echo "$DOM_USER:x:$DOM_UID:$DOM_UID:Domain User:/home/$DOM_USER:/bin/bash" >>/var/lib/extrausers/passwd
	echo "$DOM_USER:x:$DOM_UID:" >>/var/lib/extrausers/group
	echo "$DOM_USER:*:19000:0:99999:7:::" >>/var/lib/extrausers/shadow
	cp /etc/nsswitch.conf "$NSSWITCH_BACKUP"
	sed -i -E '/^(passwd|group|shadow):/ { /extrausers/! s/$/ extrausers/ }' /etc/nsswitch.conf
	install -d -m 700 -o "$DOM_UID" -g "$DOM_UID" "/home/$DOM_USER"
	# A bash user with a ~/.bash_profile: bash -l reads it and not ~/.profile.
	echo '# my profile' | install -m 644 -o "$DOM_UID" -g "$DOM_UID" /dev/stdin "/home/$DOM_USER/.bash_profile"
	install -d -m 700 -o "$DOM_UID" "$DOM_XDG"
}

remove_domain_user() {
	pkill -KILL -u "$DOM_UID" 2>/dev/null || true
	for f in passwd group shadow; do
		[ -f /var/lib/extrausers/$f ] && sed -i "/^$DOM_USER:/d" /var/lib/extrausers/$f
	done
	sed -i "/^$DOM_USER:/d" /etc/subuid /etc/subgid
	rm -rf "/home/$DOM_USER"
	if [ -f "$NSSWITCH_BACKUP" ]; then cp "$NSSWITCH_BACKUP" /etc/nsswitch.conf && rm -f "$NSSWITCH_BACKUP"; fi
}

as_dom() {
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	runuser -u "$DOM_USER" -- env -i HOME="/home/$DOM_USER" USER="$DOM_USER" LOGNAME="$DOM_USER" \
		PATH="/usr/share/docker.io/contrib:/usr/sbin:/usr/bin:/sbin:/bin" XDG_RUNTIME_DIR="$DOM_XDG" "${envs[@]}" "$@"
}

s7_domain() {
	has_feature doctor "$DEVFIX" doctor --help || not_yet "devfix doctor (shellenv issue)"
	make_domain_user
	check "getent does not know the domain user" getent passwd "$DOM_USER"
	if grep -q "^$DOM_USER:" /etc/passwd; then check "the domain user has an /etc/passwd line" false; fi
	local report
	if report=$(as_dom -- "$DEVFIX" doctor 2>&1); then
		echo "$report"; check "devfix doctor exited 0 for a user without /etc/passwd and /etc/subuid lines" false
	fi
	check "doctor does not name the missing /etc/passwd line" grep -q "FAIL /etc/passwd: no line for $DOM_USER" <<<"$report"
	check "doctor does not name the missing /etc/subuid range" grep -q "FAIL /etc/subuid: no range for $DOM_USER" <<<"$report"
	# The admin adds the ranges doctor computed (free in both files).
	local line
	line=$(sed -n "s/.*fix: echo '\($DOM_USER:[0-9]*:65536\)' | sudo tee -a \/etc\/subuid.*/\1/p" <<<"$report" | head -1)
	check "doctor printed no subuid line to add" [ -n "$line" ]
	echo "admin adds: $line"
	echo "$line" >>/etc/subuid
	echo "$line" >>/etc/subgid
	as_dom -- setsid dockerd-rootless.sh >"$WORK/rootless-dom.log" 2>&1 </dev/null &
	local i
	for i in $(seq 1 60); do
		as_dom DOCKER_HOST="unix://$DOM_XDG/docker.sock" -- docker info >/dev/null 2>&1 && break
		[ "$i" = 60 ] && { tail -5 "$WORK/rootless-dom.log" >"$WORK/exec.err"; check "the domain user's rootless daemon did not start" false; }
		sleep 1
	done
	check "devfix shellenv --install failed" as_dom -- "$DEVFIX" shellenv --install
	local want="unix://$DOM_XDG/docker.sock" got
	for sh in bash sh; do
		got=$(runuser -u "$DOM_USER" -- env -i HOME="/home/$DOM_USER" USER="$DOM_USER" PATH=/usr/bin:/bin TERM=dumb \
			"$sh" -ilc 'printf %s "$DOCKER_HOST"' 2>/dev/null | tail -c 300) || true
		check "$sh -ilc sees DOCKER_HOST='$got', want $want" [ "$got" = "$want" ]
	done
	check "the bash startup file is not ~/.bash_profile" grep -q "devfix shellenv" "/home/$DOM_USER/.bash_profile"
	check "a docker client with that DOCKER_HOST does not reach the rootless daemon" \
		bash -c "runuser -u $DOM_USER -- env -i HOME=/home/$DOM_USER DOCKER_HOST='$got' PATH=/usr/bin:/bin docker info --format '{{json .SecurityOptions}}' | grep -q name=rootless"
	remove_domain_user
}

# The hooks in .pre-commit-hooks.yaml, run by Debian's pre-commit on a sample
# repository: language golang builds devfix with the system Go.
s8_precommit() {
	[ -f "$REPO/.pre-commit-hooks.yaml" ] || not_yet ".pre-commit-hooks.yaml (lint-UX issue)"
	local rev sample=$WORK/precommit-sample
	rev=$(git -C "$REPO" rev-parse HEAD)
	[ -z "$(git -C "$REPO" status --porcelain -- .pre-commit-hooks.yaml cmd cli devcontainer mounts shellenv go.mod go.sum)" ] ||
		echo "note: pre-commit builds the last commit ($rev), not uncommitted changes"
	mkdir -p "$sample/.devcontainer"
	git -C "$sample" init -q
	seed_config >"$sample/.devcontainer/devcontainer.json"
	cat >"$sample/.pre-commit-config.yaml" <<-YAML
	repos:
	  - repo: $REPO
	    rev: $rev
	    hooks:
	      - id: devfix
	      - id: devfix-fix
	YAML
	git -C "$sample" add -A
	git -C "$sample" -c user.email=e2e@devfix -c user.name=e2e commit -qm sample
	local pc=(env PRE_COMMIT_HOME="$WORK/pre-commit-cache" PATH="/usr/local/go/bin:$PATH" pre-commit run --all-files)
	if (cd "$sample" && "${pc[@]}") >"$WORK/up.log" 2>&1; then
		check "the hooks passed on the seed config" false
	fi
	check "the devfix hook did not report the remote user" grep -q "rootless-remote-user" "$WORK/up.log"
	check "the devfix-fix hook did not modify the file" grep -q "files were modified by this hook" "$WORK/up.log"
	check "the file was not fixed" grep -q '"remoteUser": "root"' "$sample/.devcontainer/devcontainer.json"
	check "the hooks fail on the fixed config" bash -c "cd '$sample' && ${pc[*]} >'$WORK/up.log' 2>&1"
}

# ---------------------------------------------------------------- main

install_packages
build_devfix
create_user
start_daemons
make_images
log "set-up done"

scenario 1 "the seed config (remoteUser vscode, comments): fails before, works after apply" s1_seed
scenario 2 "no remoteUser; the image label names vscode: fails before, works after apply" s2_label
scenario 3 "--strategy env: root on rootless with the variables, vscode on rootful without" s3_env
scenario 4 "--strategy acl: vscode stays and can write; the host user can edit and delete" s4_acl
scenario 5 "a /var/run/docker.sock bind mount" s5_socket
scenario 6 "devfix reclaim gives subuid-owned files back" s6_reclaim
scenario 7 "a domain user (NSS only): doctor names what is missing; then shellenv --install reaches bash -ilc and sh -ilc" s7_domain
scenario 8 "pre-commit hooks (devfix, devfix-fix) with Debian's pre-commit on a sample repository" s8_precommit

echo
log "e2e finished"
# The summary is the last line, printed after the clean-up (see cleanup).
SUMMARY="$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
