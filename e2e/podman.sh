# Scenarios A1-A3: rootless Podman as VS Code drives it (the user setting
# "dev.containers.dockerPath": "podman" makes it run `devcontainer
# --docker-path podman`), sourced by run.sh. The Podman users have no dockerd.
# For image configs the CLI adds `--security-opt label=disable
# --userns=keep-id` (not for a root remote user) before the config's runArgs,
# so a later --userns in runArgs wins.

# podman_users: once per run, the Podman users: $POD_USER (useradd -m gives it
# subordinate ranges) and the domain user with the range an admin adds. Each
# imports the busybox rootfs into its own store (as localhost/devfix-e2e/vscode:1)
# and has VS Code user settings that pick Podman, with a comment in them.
podman_users() {
	[ -f "$WORK/podman-users" ] && return 0
	command -v podman >/dev/null || { fail "podman is not installed"; return 1; }
	new_user "$POD_USER"
	make_domain_user
	add_subids "$DOM_USER"
	local u home
	for u in "$POD_USER" "$DOM_USER"; do
		run_as "$u" -- podman import -q "$ROOTFS_TAR" devfix-e2e/vscode:1 >/dev/null 2>"$WORK/exec.err" ||
			{ fail "podman import as $u failed"; return 1; }
		home=$(getent passwd "$u" | cut -d: -f6)
		install -d -o "$u" -g "$(id -g "$u")" "$home/.config" "$home/.config/Code" "$home/.config/Code/User"
		# (<< and not <<-: the file keeps the tabs VS Code indents with.)
		put "$u" "$home/.config/Code/User/settings.json" <<'JSON'
// VS Code user settings
{
	// Dev Containers runs Podman, not Docker.
	"dev.containers.dockerPath": "podman",
	"editor.tabSize": 4
}
JSON
	done
	rm -f "$WORK/exec.err"
	touch "$WORK/podman-users"
}

# pup U WS ENV...: devcontainer up with Podman as user U; log in $WORK/up.log.
pup() {
	local u=$1 ws=$2; shift 2
	pdown "$u" "$ws"
	run_as "$u" "$@" -- devcontainer up --docker-path podman --workspace-folder "$ws" >"$WORK/up.log" 2>&1
}

# prun_in U WS ENV... -- CMD...: devcontainer exec with Podman, as the remote user.
prun_in() {
	local u=$1 ws=$2; shift 2
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	run_as "$u" "${envs[@]}" -- devcontainer exec --docker-path podman --workspace-folder "$ws" "$@" 2>"$WORK/exec.err"
}

# pdown U WS: remove the workspace's Podman container.
pdown() {
	local ids
	ids=$(run_as "$1" -- podman ps -aq --filter "label=devcontainer.local_folder=$2" 2>/dev/null || true)
	[ -z "$ids" ] || run_as "$1" -- podman rm -f $ids >/dev/null 2>&1 || true
}

# shellenv_vars ARRAY U ENV...: set ARRAY to the variables `eval "$(devfix
# shellenv)"` sets for user U (DOCKER_HOST, DEVFIX_*), one K=V an element
# (none is fine: a regular Podman user needs none). When devfix shellenv
# fails, it fails the scenario, with devfix's last words as the reason.
shellenv_vars() {
	local -n _shellenv_vars=$1
	local u=$2 out
	shift 2
	# (Not eval "$(…)": eval of an empty string succeeds, so a failing
	# devfix would pass for one that printed nothing.)
	out=$(run_as "$u" "$@" -- bash -c 'vars=$("$0" shellenv --shell sh) && eval "$vars" && env' "$DEVFIX" 2>"$WORK/exec.err") ||
		{ fail "devfix shellenv failed for $u: $(tail -1 "$WORK/exec.err")"; return 1; }
	mapfile -t _shellenv_vars < <(grep -E '^(DOCKER_HOST|DEVFIX_[A-Z_]+)=' <<<"$out" || true)
}

pod_seed() {
	cat <<-'JSON'
	// The seed on a Podman host.
	{
		"image": "localhost/devfix-e2e/vscode:1", // busybox with a vscode user
		// Run as the non-root user the image sets up.
		"remoteUser": "vscode"
	}
	JSON
}

# pod_works U WS WANT-USER ENV...: up, then the remote user is WANT-USER and
# what it makes in the workspace belongs to U on the host.
pod_works() {
	local u=$1 ws=$2 want=$3 who uid base
	shift 3
	uid=$(id -u "$u")
	base=$(basename "$ws")
	rm -f "$ws/made"
	check "devcontainer up with Podman failed as $u${*:+ ($*)}" pup "$u" "$ws" "$@"
	echo "  $u${*:+ with $*}: podman run has $(userns_flags)"
	who=$(prun_in "$u" "$ws" "$@" -- id -un) || true
	check "the remote user of $u is '$who', not $want" [ "$who" = "$want" ]
	check "$u cannot write the workspace" prun_in "$u" "$ws" "$@" -- touch "/workspaces/$base/made"
	check "the file $u made is owned by $(owner_of "$ws/made"), not by $u ($uid)" [ "$(owner_of "$ws/made")" = "$uid" ]
	pdown "$u" "$ws"
}

pa1_regular() {
	podman_users || return 1
	local u=$POD_USER ws f
	ws=$(new_ws_of "$u" podseed)
	f=$ws/.devcontainer/devcontainer.json
	pod_seed | write_config "$ws" "$u"
	echo "before:"
	pod_works "$u" "$ws" vscode
	cp "$f" "$WORK/a1.orig"
	check "devfix apply failed" run_as "$u" -- "$DEVFIX" apply "$ws"
	if cmp -s "$WORK/a1.orig" "$f"; then echo "apply left the config unchanged"; else echo "apply changed it:"; diff "$WORK/a1.orig" "$f" || true; fi
	check "remoteUser is $(jget "$f" remoteUser), not vscode" [ "$(jget "$f" remoteUser)" = '"vscode"' ]
	check "a comment was lost" comments_kept "$WORK/a1.orig" "$f"
	echo "after:"
	pod_works "$u" "$ws" vscode
	check "a second apply would change something" run_as "$u" -- "$DEVFIX" apply --check "$ws"
}

pa2_domain() {
	podman_users || return 1
	local u=$DOM_USER ws f
	ws=$(new_ws_of "$u" podseed)
	f=$ws/.devcontainer/devcontainer.json
	pod_seed | write_config "$ws" "$u"
	cp "$f" "$WORK/a2.orig"
	if pup "$u" "$ws"; then check "devcontainer up worked BEFORE the fix: the test proves nothing" false; fi
	check "before the fix, up did not fail at the updateUID build" grep -q 'Command failed: podman build .*updateUID\.Dockerfile' "$WORK/up.log"
	check "before the fix, the updateUID build was not for NEW_UID=$DOM_UID" grep -q "NEW_UID=$DOM_UID" "$WORK/up.log"
	echo "before: devcontainer up exits non-zero: $(grep -o 'Command failed: podman build -f [^ ]*' "$WORK/up.log" | head -1) ... NEW_UID=$DOM_UID"
	check "devfix apply failed" as_dom -- "$DEVFIX" apply "$ws"
	check "runArgs has no \"--userns=keep-id:uid=1000,gid=1000\"" grep -qF '"--userns=keep-id:uid=1000,gid=1000"' <<<"$(jget "$f" runArgs)"
	check "updateRemoteUserUID is not false" [ "$(jget "$f" updateRemoteUserUID)" = false ]
	check "remoteUser is $(jget "$f" remoteUser), not vscode" [ "$(jget "$f" remoteUser)" = '"vscode"' ]
	check "a comment was lost" comments_kept "$WORK/a2.orig" "$f"
	echo "after:"
	pod_works "$u" "$ws" vscode
	check "a second apply would change something" as_dom -- "$DEVFIX" apply --check "$ws"
}

# The env strategy's file: users and --userns from DEVFIX_* variables. The
# image's short name: Docker has it, Podman finds localhost/... in its store.
pod_env_seed() {
	cat <<-'JSON'
	// One committed file for every teammate.
	{
		"image": "devfix-e2e/vscode:1", // busybox with a vscode user
		"remoteUser": "vscode"
	}
	JSON
}

# ENV_ARG is the runArg the env strategy adds: the whole flag from
# DEVFIX_USERNS, a harmless label when it is unset (an empty --userns= would
# cancel the keep-id the CLI adds for a Podman user without the variable).
ENV_ARG='"${localEnv:DEVFIX_USERNS:--label=devfix.userns=default}"'

# env_fields_ok F: the env strategy's edits are in F.
env_fields_ok() {
	local f=$1 cu
	check "$f: remoteUser is $(jget "$f" remoteUser)" [ "$(jget "$f" remoteUser)" = '"${localEnv:DEVFIX_REMOTE_USER:vscode}"' ] || return 1
	cu=$(jget "$f" containerUser || true)
	check "$f: containerUser is $cu" [ -z "$cu" -o "$cu" = '"${localEnv:DEVFIX_CONTAINER_USER}"' ] || return 1
	check "$f: runArgs has no $ENV_ARG" grep -qF "$ENV_ARG" <<<"$(jget "$f" runArgs)"
}

pa3_env() {
	podman_users || return 1
	local ws dws pws f base dvars=() pvars=()
	ws=$(new_ws podenv)
	f=$ws/.devcontainer/devcontainer.json
	base=$(basename "$ws")
	pod_env_seed | write_config "$ws"
	# The rootless Docker user runs apply; the domain user, on Podman, does
	# the same on its own clone: a committed file should not depend on who
	# made it.
	check "devfix apply --strategy env failed (rootless Docker user)" devfix apply --strategy env "$ws"
	env_fields_ok "$f"
	dws=$(new_ws_of "$DOM_USER" podenv-apply)
	pod_env_seed | write_config "$dws" "$DOM_USER"
	check "devfix apply --strategy env failed (Podman domain user)" as_dom -- "$DEVFIX" apply --strategy env "$dws"
	if cmp -s "$f" "$dws/.devcontainer/devcontainer.json"; then
		echo "apply --strategy env as the Podman domain user wrote the same bytes"
	else
		note "apply --strategy env as the Podman domain user wrote something else:"
		diff "$f" "$dws/.devcontainer/devcontainer.json" || true
	fi
	env_fields_ok "$dws/.devcontainer/devcontainer.json"
	echo "the committed file:"
	sed 's/^/  | /' "$f"

	# (i) The teammate on rootful Docker, no variables: vscode, made the host
	# user's by updateRemoteUserUID; the runArg is only a label.
	local who
	rm -f "$ws/rootful"
	check "up on rootful Docker failed" up "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK"
	echo "  rootful Docker, no variables: docker run has $(userns_flags)"
	who=$(run_in "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK" -- id -un) || true
	check "on rootful Docker the remote user is '$who', not vscode" [ "$who" = vscode ]
	check "writing the workspace on rootful Docker failed" run_in "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK" -- touch "/workspaces/$base/rootful"
	check "the rootful file is not the host user's" [ "$(owner_of "$ws/rootful")" = "$E2E_UID" ]
	down "$ws" DOCKER_HOST="unix://$ROOTFUL_SOCK"

	# (ii) The rootless Docker user after eval "$(devfix shellenv)": root.
	local rvars=()
	shellenv_vars rvars "$E2E_USER" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	check "devfix shellenv printed nothing for the rootless Docker user" [ ${#rvars[@]} -gt 0 ]
	rm -f "$ws/rootless"
	check "up on rootless Docker (with shellenv's ${rvars[*]}) failed" up "$ws" "${rvars[@]}"
	echo "  rootless Docker, shellenv: docker run has $(userns_flags)"
	who=$(run_in "$ws" "${rvars[@]}" -- id -un) || true
	check "on rootless Docker the remote user is '$who', not root" [ "$who" = root ]
	check "writing the workspace on rootless Docker failed" run_in "$ws" "${rvars[@]}" -- touch "/workspaces/$base/rootless"
	check "the rootless file is not the host user's" [ "$(owner_of "$ws/rootless")" = "$E2E_UID" ]
	down "$ws" "${rvars[@]}"

	# (iii) The Podman domain user: DEVFIX_USERNS=--userns=keep-id:uid=1000,gid=1000
	# (after the CLI's own --userns=keep-id, so it wins) and
	# DEVFIX_REMOTE_USER=1000 (a numeric remote user: the CLI skips the UID
	# update that fails for it).
	dws=$(new_ws_of "$DOM_USER" podenv)
	put "$DOM_USER" "$dws/.devcontainer/devcontainer.json" <"$f"
	shellenv_vars dvars "$DOM_USER"
	check "shellenv for the domain user on Podman does not set DEVFIX_USERNS=--userns=keep-id:uid=1000,gid=1000 and DEVFIX_REMOTE_USER=1000: ${dvars[*]}" \
		bash -c 'printf "%s\n" "$@" | grep -qx DEVFIX_USERNS=--userns=keep-id:uid=1000,gid=1000 && printf "%s\n" "$@" | grep -qx DEVFIX_REMOTE_USER=1000' _ "${dvars[@]}"
	pod_works "$DOM_USER" "$dws" vscode "${dvars[@]}"

	# (iv) A regular Podman user, with what shellenv exports for it (no
	# DEVFIX_USERNS: the CLI's own keep-id and UID update work for it) and
	# without any variable: the file works for it as the seed did (A1).
	pws=$(new_ws_of "$POD_USER" podenv)
	put "$POD_USER" "$pws/.devcontainer/devcontainer.json" <"$f"
	shellenv_vars pvars "$POD_USER"
	check "shellenv for a regular user on Podman sets the user namespace or the user: ${pvars[*]}" \
		bash -c '! printf "%s\n" "$@" | grep -q "^DEVFIX_\(USERNS\|REMOTE_USER\)="' _ "${pvars[@]}"
	pod_works "$POD_USER" "$pws" vscode "${pvars[@]}"
	pod_works "$POD_USER" "$pws" vscode
}

# pod_lint U WS ENV...: devfix lint --strategy acl as U, with a podman first
# on PATH that logs each call to $WORK/podman-calls and runs the real one.
pod_lint() {
	local u=$1 ws=$2
	shift 2
	run_as "$u" PATH="$WORK/podwrap:/usr/sbin:/usr/bin:/sbin:/bin" "$@" -- "$DEVFIX" lint --strategy acl "$ws" 2>&1 || true
}

# podman_calls: what the last pod_lint ran, on one line ("" for nothing).
podman_calls() { tr '\n' ';' <"$WORK/podman-calls"; }

# pa4_names: the name index, in the user's own store (vfs here) and in an
# overlay store that CONTAINERS_STORAGE_CONF selects.
pa4_names() {
	podman_users || return 1
	local u=$POD_USER ws vars
	ws=$(new_ws_of "$u" podnames)
	write_config "$ws" "$u" <<-'JSON'
	{
		"image": "devfix-e2e/moving:1",
		"remoteUser": "vscode",
		"updateRemoteUserUID": false
	}
	JSON
	make_rootfs_1001
	mkdir -p "$WORK/podwrap"
	printf '#!/bin/sh\necho "podman $*" >>%s\nexec %s "$@"\n' "$WORK/podman-calls" "$(command -v podman)" >"$WORK/podwrap/podman"
	chmod 755 "$WORK/podwrap" "$WORK/podwrap/podman"
	install -o "$u" -m 644 /dev/null "$WORK/podman-calls"
	pa4_in_store "$u" "$ws"
	vars=$(podman_store "$u" a4 overlay)
	# shellcheck disable=SC2086 # NAME=VALUE words
	check "podman import into the overlay store failed" run_as "$u" $vars -- podman import -q "$ROOTFS_TAR" devfix-e2e/vscode:1 >/dev/null
	# shellcheck disable=SC2086
	pa4_in_store "$u" "$ws" $vars
}

# pa4_in_store U WS VARS...: in the store VARS select, a tag linted cold,
# then seen before (no podman), moved to vscode 1001 (seen), seen before.
pa4_in_store() {
	local u=$1 ws=$2 home driver
	shift 2
	home=$(getent passwd "$u" | cut -d: -f6)
	rm -rf "$home/.cache/devfix"
	driver=$(run_as "$u" "$@" -- podman info --format '{{.Store.GraphDriverName}}')
	check "podman tag failed" run_as "$u" "$@" -- podman tag localhost/devfix-e2e/vscode:1 devfix-e2e/moving:1
	# devfix trusts an image index only when it was in place before the
	# inspect began (100 ms; a user does not lint that fast after a pull).
	sleep 1
	: >"$WORK/podman-calls"
	pod_lint "$u" "$ws" "$@" >"$WORK/a4.1"
	check "$driver: vscode is not container UID 1000: $(head -c 600 "$WORK/a4.1")" grep -q "container UID 1000 " "$WORK/a4.1"
	check "$driver: the first lint ran no podman image inspect: $(podman_calls)" grep -q "^podman image inspect" "$WORK/podman-calls"
	echo "  $driver store, first lint ran: $(podman_calls)"
	if [ "$driver" != overlay ]; then
		# Under vfs a cold run makes a container and, the first time in a
		# store, no podman info on top: the next run asks where the store is.
		: >"$WORK/podman-calls"
		pod_lint "$u" "$ws" "$@" >/dev/null
		check "$driver: the second lint ran $(podman_calls), not the inspect and podman info" \
			[ "$(podman_calls)" = "podman image inspect -- devfix-e2e/moving:1;podman info --format json;" ]
	fi
	: >"$WORK/podman-calls"
	pod_lint "$u" "$ws" "$@" >"$WORK/a4.2"
	check "$driver: an image seen before ran podman: $(podman_calls)" [ ! -s "$WORK/podman-calls" ]
	check "$driver: seen before, not the same findings as the first lint" cmp -s "$WORK/a4.1" "$WORK/a4.2"
	: >"$WORK/podman-calls"
	run_as "$u" PATH="$WORK/podwrap:/usr/sbin:/usr/bin:/sbin:/bin" "$@" -- "$DEVFIX" lint "$ws" >/dev/null 2>&1 || true
	check "$driver: the default strategy, image seen before, ran podman: $(podman_calls)" [ ! -s "$WORK/podman-calls" ]
	: >"$WORK/podman-calls"
	pod_lint "$u" "$ws" "$@" DEVFIX_NO_CACHE=1 >/dev/null
	check "$driver: DEVFIX_NO_CACHE=1 ran no podman image inspect: $(podman_calls)" grep -q "^podman image inspect" "$WORK/podman-calls"
	check "$driver: the second image did not import" run_as "$u" "$@" -- podman import -q "$WORK/rootfs-1001.tar" devfix-e2e/moving:1 >/dev/null
	sleep 1
	: >"$WORK/podman-calls"
	pod_lint "$u" "$ws" "$@" >"$WORK/a4.3"
	check "$driver: after the tag moved, vscode is not container UID 1001: $(head -c 600 "$WORK/a4.3")" grep -q "container UID 1001 " "$WORK/a4.3"
	check "$driver: after the tag moved, no podman image inspect ran: $(podman_calls)" grep -q "^podman image inspect" "$WORK/podman-calls"
	echo "  $driver store, after the tag moved, the lint ran: $(podman_calls)"
	: >"$WORK/podman-calls"
	pod_lint "$u" "$ws" "$@" >"$WORK/a4.4"
	check "$driver: the moved tag seen before ran podman: $(podman_calls)" [ ! -s "$WORK/podman-calls" ]
	check "$driver: the moved tag seen before, other findings" cmp -s "$WORK/a4.3" "$WORK/a4.4"
	run_as "$u" "$@" -- podman rmi devfix-e2e/moving:1 >/dev/null 2>&1 || true
}
