# Set-up and helpers of the end-to-end tests, sourced by run.sh and speed.sh
# (which set E2E, REPO, WORK, DEVFIX, ROOTFUL_SOCK and T0 first).

CLI_VERSION=0.89.0      # @devcontainers/cli, pinned (run.sh and speed.sh)
E2E_USER=devfixe2e      # local user, gets /etc/subuid ranges
POD_USER=devfixpod      # local user with rootless Podman only
STATE=/opt/devfix-e2e   # npm prefix, cached image tarball

passed=0 failed=0

log() { printf '[%3ds] %s\n' $(( $(date +%s) - T0 )) "$*"; }
die() { echo "e2e: $*" >&2; exit 1; }

# ---------------------------------------------------------------- set-up

install_packages() {
	local pkgs=(docker.io rootlesskit uidmap slirp4netns busybox-static acl libnss-extrausers pre-commit podman docker-compose make pamtester jq)
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

# build_devfix: the devfix under test in $DEVFIX, where every test user can
# run it: DEVFIX_BIN if set (a prebuilt binary), else built from the repo by
# `make build`, so it is the binary that ships: static (no cgo, so os/user
# reads /etc/passwd alone), -trimpath, stripped.
build_devfix() {
	mkdir -p "$WORK/bin"
	if [ -n "${DEVFIX_BIN:-}" ]; then
		[ -f "$DEVFIX_BIN" ] && [ -x "$DEVFIX_BIN" ] || die "DEVFIX_BIN=$DEVFIX_BIN is not an executable file"
		log "using the prebuilt devfix $DEVFIX_BIN"
		install -m 755 "$DEVFIX_BIN" "$DEVFIX"
	else
		log "building devfix (make build)"
		PATH=/usr/local/go/bin:$PATH make -C "$REPO" --no-print-directory build BIN="$DEVFIX" >/dev/null
	fi
	chmod 755 "$WORK/bin" "$DEVFIX"
}

# forget_user_tmp U UID: what the CLI and rootlesskit leave in /tmp for a
# user. A stale /tmp/devcontainercli-U owned by an older UID of the same name
# makes the next run's CLI fail, so it goes before a user is made, too.
forget_user_tmp() {
	local u=$1 uid=$2
	rm -rf "/tmp/devcontainercli-$u"
	[ -z "$uid" ] || find /tmp -maxdepth 1 -name 'rootlesskit*' -uid "$uid" -exec rm -rf {} + 2>/dev/null
	return 0
}

# remove_user U: kill its processes, delete it, its files in /tmp and its
# subordinate ranges (its Podman storage goes with its home).
remove_user() {
	local u=$1 uid
	uid=$(id -u "$u" 2>/dev/null || true)
	forget_user_tmp "$u" "$uid"
	[ -n "$uid" ] || return 0
	pkill -KILL -u "$u" 2>/dev/null || true
	sleep 1
	userdel -r "$u" >/dev/null 2>&1 || userdel -f -r "$u" >/dev/null 2>&1 || true
	sed -i "/^$u:/d" /etc/subuid /etc/subgid
}

# new_user U: a local user from useradd -m (which allocates /etc/subuid and
# /etc/subgid ranges) with a runtime dir $WORK/xdg-U.
new_user() {
	local u=$1
	remove_user "$u"
	useradd -m -s /bin/bash "$u"
	grep -q "^$u:" /etc/subuid || die "useradd gave $u no /etc/subuid range"
	install -d -m 700 -o "$u" "$WORK/xdg-$u"
}

create_user() {
	new_user "$E2E_USER"
	E2E_UID=$(id -u "$E2E_USER")
	E2E_HOME=$(getent passwd "$E2E_USER" | cut -d: -f6)
	SUBUID_START=$(grep "^$E2E_USER:" /etc/subuid | head -1 | cut -d: -f2)
	XDG=$WORK/xdg-$E2E_USER
	ROOTLESS_SOCK=$XDG/docker.sock
}

# run_as U ENV... -- CMD...: run a command (argv, no shell) as user U in a
# clean environment: its home, its runtime dir, the reference CLI on PATH.
run_as() {
	local u=$1; shift
	local envs=() home
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	home=$(getent passwd "$u" | cut -d: -f6)
	runuser -u "$u" -- env -i HOME="$home" USER="$u" LOGNAME="$u" \
		PATH="$STATE/npm/node_modules/.bin:/usr/share/docker.io/contrib:/usr/sbin:/usr/bin:/sbin:/bin" \
		XDG_RUNTIME_DIR="$WORK/xdg-$u" "${envs[@]}" "$@"
}
# as_user ENV... -- CMD...: as the rootless Docker test user.
as_user() { run_as "$E2E_USER" "$@"; }
rootless() { as_user DOCKER_HOST="unix://$ROOTLESS_SOCK" "$@"; }

start_daemons() {
	TUN_MODE=$(stat -c %a /dev/net/tun)
	chmod 666 /dev/net/tun   # slirp4netns needs it (LAB quirk), Podman's too; restored on exit
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
		[ "$i" = 60 ] && { tail -n 20 "$WORK/rootless.log" "$WORK/rootful.log"; die "daemons did not come up in 60s"; }
		sleep 1
	done
	rootless -- docker info --format '{{json .SecurityOptions}}' | grep -q 'name=rootless' || die "the user's daemon is not rootless"
	# The teammate on rootful Docker: access to the rootful socket (= docker group).
	chown "$E2E_USER" "$ROOTFUL_SOCK"
}

# The busybox rootfs with a vscode user (UID 1000, home owned by it), cached.
ROOTFS_TAR=$STATE/vscode-rootfs.tar
make_rootfs() {
	[ -s "$ROOTFS_TAR" ] && return 0
	log "building the busybox rootfs"
	local r=$WORK/rootfs
	mkdir -p "$r"/{bin,etc,home/vscode,root,tmp,workspaces,usr/bin,sbin,usr/sbin,var/run}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nvscode:x:1000:1000:vscode:/home/vscode:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\nvscode:x:1000:\n' >"$r/etc/group"
	chmod 1777 "$r/tmp"
	chown 1000:1000 "$r/home/vscode"
	tar -C "$r" --numeric-owner -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
	chmod 644 "$ROOTFS_TAR"
}

# Images from the rootfs in both daemons: one with the devcontainer.metadata
# label the published images carry, one without.
make_images() {
	make_rootfs
	log "importing images into both daemons"
	local label='LABEL devcontainer.metadata="[{\"remoteUser\":\"vscode\"}]"'
	for host in "unix://$ROOTLESS_SOCK" "unix://$ROOTFUL_SOCK"; do
		as_user DOCKER_HOST="$host" -- docker import "$ROOTFS_TAR" devfix-e2e/vscode:1 >/dev/null
		as_user DOCKER_HOST="$host" -- docker import -c "$label" "$ROOTFS_TAR" devfix-e2e/vscode-label:1 >/dev/null
	done
}

# ---------------------------------------------------------------- helpers

# new_ws_of U NAME: an empty workspace folder of user U; prints its path.
new_ws_of() {
	local u=$1 home ws
	home=$(getent passwd "$u" | cut -d: -f6)
	ws=$home/ws/$2
	install -d -o "$u" -g "$(id -g "$u")" -m 755 "$home/ws" "$ws" "$ws/.devcontainer"
	echo "$ws"
}
# new_ws NAME: the same for the rootless Docker test user.
new_ws() { new_ws_of "$E2E_USER" "$1"; }

# put U FILE: stdin into FILE, owned by user U.
put() { install -o "$1" -g "$(id -g "$1")" -m 644 /dev/stdin "$2"; }

# write_config WS [U]: the config from stdin, owned by U (default: the test user).
write_config() { put "${2:-$E2E_USER}" "$1/.devcontainer/devcontainer.json"; }

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

# E2E_ONLY="1 A2 B1" runs only those scenarios (set-up still runs whole).
selected() { [ -z "${E2E_ONLY:-}" ] || [[ " $E2E_ONLY " == *" $1 "* ]]; }

scenario() {
	local n=$1 title=$2 fn=$3
	selected "$n" || return 0
	echo
	echo "== scenario $n: $title"
	local t=$(date +%s)
	set +e
	( set -e; "$fn" )
	local rc=$?
	set -e
	case $rc in
	0) echo "PASS ($(( $(date +%s) - t ))s)"; passed=$((passed + 1)) ;;
	*) echo "FAIL ($(( $(date +%s) - t ))s): $(cat "$WORK/reason" 2>/dev/null || echo "exit $rc")"
	   for f in up.log exec.err; do [ -s "$WORK/$f" ] && { echo "--- tail of $f"; tail -8 "$WORK/$f"; }; done
	   failed=$((failed + 1)) ;;
	esac
	rm -f "$WORK/reason" "$WORK/up.log" "$WORK/exec.err"
}

# check COND-DESC CMD...: run CMD; on failure record why and fail the scenario.
# (CMD runs in a condition, where set -e is off: keep it one command.)
check() {
	local desc=$1; shift
	if ! "$@"; then
		echo "$desc" >"$WORK/reason"
		return 1
	fi
}
fail() { echo "$*" >"$WORK/reason"; return 1; }
note() { echo "note: $*"; }

owner_of() { stat -c %u "$1"; }

# jget FILE KEY...: a value of a JSONC file (comments, trailing commas) as
# compact JSON; exit 1 when absent, 2 when the file does not parse.
jget() { python3 "$E2E/testdata/jsonc.py" get "$@"; }
# comments_kept OLD NEW: every comment of OLD is in NEW, in order (JSONC).
comments_kept() { python3 "$E2E/testdata/jsonc.py" kept "$1" "$2"; }

# userns_flags: the --userns flags of the run line in $WORK/up.log.
userns_flags() { grep -E 'Run: (docker|podman) run' "$WORK/up.log" | grep -oE -- '--userns=[^ ]*' | tr '\n' ' '; }

# sockprobe: a static build of testdata/sockprobe.go, once per run (a module
# of its own in $WORK: the repo's go.mod may be mid-edit); prints its path.
sockprobe() {
	local bin=$WORK/bin/sockprobe src=$WORK/sockprobe-src
	if [ ! -x "$bin" ]; then
		mkdir -p "$src" || return 1
		cp "$E2E/testdata/sockprobe.go" "$src/main.go" || return 1
		printf 'module sockprobe\n\ngo 1.21\n' >"$src/go.mod"
		(cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= PATH=/usr/local/go/bin:$PATH go build -o "$bin" .) >&2 || return 1
		chmod 755 "$bin"
	fi
	echo "$bin"
}

# ---------------------------------------------------------------- the domain user

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
	pkill -KILL -u "$DOM_UID" 2>/dev/null && sleep 1
	forget_user_tmp "$DOM_USER" "$DOM_UID"
	for f in passwd group shadow; do
		[ -f /var/lib/extrausers/$f ] && sed -i "/^$DOM_USER:/d" /var/lib/extrausers/$f
	done
	sed -i "/^$DOM_USER:/d" /etc/subuid /etc/subgid
	rm -rf "/home/$DOM_USER" "$DOM_XDG"
	if [ -f "$NSSWITCH_BACKUP" ]; then cp "$NSSWITCH_BACKUP" /etc/nsswitch.conf && rm -f "$NSSWITCH_BACKUP"; fi
	return 0
}

# add_subids U: what the admin does for a domain user: the next free range of
# 65536 in both /etc/subuid and /etc/subgid.
add_subids() {
	local next
	next=$(awk -F: 'NF >= 3 { e = $2 + $3; if (e > m) m = e } END { print (m < 100000 ? 100000 : m) }' /etc/subuid /etc/subgid)
	echo "$1:$next:65536" >>/etc/subuid
	echo "$1:$next:65536" >>/etc/subgid
}

as_dom() { run_as "$DOM_USER" "$@"; }
