# Scenarios 1-8: devfix on rootless Docker (and a teammate on rootful Docker),
# sourced by run.sh.

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
	# On rootless, as a user does: eval "$(devfix shellenv)", then the CLI
	# (through a variable: eval of an empty string succeeds, so a failing
	# devfix shellenv would go unnoticed).
	local evalrun='vars=$("$1" shellenv --shell sh) && eval "$vars" && shift && exec "$@"'
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

s7_domain() {
	make_domain_user
	check "getent does not know the domain user" getent passwd "$DOM_USER"
	if grep -q "^$DOM_USER:" /etc/passwd; then check "the domain user has an /etc/passwd line" false; fi
	# Without USER and LOGNAME (a cron job, a systemd unit): the static
	# devfix, whose os/user reads /etc/passwd alone, must find the name
	# through NSS (getent).
	local report
	if report=$(as_dom -- env -u USER -u LOGNAME "$DEVFIX" doctor 2>&1); then
		echo "$report"; check "devfix doctor exited 0 for a user without /etc/passwd and /etc/subuid lines" false
	fi
	check "doctor (USER unset) does not name the missing /etc/passwd line of $DOM_USER" grep -q "FAIL /etc/passwd: no line for $DOM_USER" <<<"$report"
	check "doctor (USER unset) does not name the missing /etc/subuid range of $DOM_USER" grep -q "FAIL /etc/subuid: no range for $DOM_USER" <<<"$report"
	# The admin runs what doctor says; host grant adds the very line doctor
	# computed (one allocator), in both files.
	local line
	line=$(sed -n "s/.*fix: sudo devfix host grant $DOM_USER   # adds \($DOM_USER:[0-9]*:65536\) to \/etc\/subuid.*/\1/p" <<<"$report" | head -1)
	check "doctor printed no host grant line to add" [ -n "$line" ]
	echo "admin runs: devfix host grant $DOM_USER (doctor says it adds $line)"
	check "devfix host grant $DOM_USER failed" "$DEVFIX" host grant "$DOM_USER"
	check "host grant did not add doctor's line $line to /etc/subuid" grep -qx "$line" /etc/subuid
	check "host grant did not add doctor's line $line to /etc/subgid" grep -qx "$line" /etc/subgid
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
	check "the repository has no .pre-commit-hooks.yaml" [ -f "$REPO/.pre-commit-hooks.yaml" ]
	local rev sample=$WORK/precommit-sample
	rev=$(git -C "$REPO" rev-parse HEAD)
	[ -z "$(git -C "$REPO" status --porcelain -- .pre-commit-hooks.yaml cmd cli devcontainer engine internal mounts shellenv go.mod go.sum)" ] ||
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
	# DOCKER_HOST names the rootless daemon, as in a developer's shell: with
	# none, and podman installed (scenarios A), devfix would rightly take
	# this host for a Podman one.
	local pc=(env PRE_COMMIT_HOME="$WORK/pre-commit-cache" PATH="/usr/local/go/bin:$PATH" DOCKER_HOST="unix://$ROOTLESS_SOCK"
		pre-commit run --all-files)
	if (cd "$sample" && "${pc[@]}") >"$WORK/up.log" 2>&1; then
		check "the hooks passed on the seed config" false
	fi
	check "the devfix hook did not report the remote user" grep -q "rootless-remote-user" "$WORK/up.log"
	check "the devfix-fix hook did not modify the file" grep -q "files were modified by this hook" "$WORK/up.log"
	check "the file was not fixed" grep -q '"remoteUser": "root"' "$sample/.devcontainer/devcontainer.json"
	check "the hooks fail on the fixed config" bash -c "cd '$sample' && ${pc[*]} >'$WORK/up.log' 2>&1"
}


# D: the cache of image facts follows the image, not its tag. vscode is 1000
# in one image and 1001 in another imported under the same tag; lint
# --strategy acl names the host UID vscode maps to, which must follow the tag
# as it moves, and a lint of an image seen before creates no container.
d_cache() {
	local ws r2 events t0 a b c driver
	ws=$(new_ws cachetag)
	write_config "$ws" <<-'JSON'
	{
		"image": "devfix-e2e/moving:1",
		"remoteUser": "vscode",
		"updateRemoteUserUID": false
	}
	JSON
	# The second image: the same rootfs, vscode 1001.
	r2=$WORK/rootfs-1001
	rm -rf "$r2" && mkdir -p "$r2" && tar -C "$r2" -xf "$ROOTFS_TAR"
	printf 'root:x:0:0:root:/root:/bin/sh\nvscode:x:1001:1001:vscode:/home/vscode:/bin/sh\n' >"$r2/etc/passwd"
	printf 'root:x:0:\nvscode:x:1001:\n' >"$r2/etc/group"
	tar -C "$r2" --numeric-owner -cf "$WORK/rootfs-1001.tar" . && chmod 644 "$WORK/rootfs-1001.tar"
	check "docker tag failed" rootless -- docker tag devfix-e2e/vscode:1 devfix-e2e/moving:1
	a=$((SUBUID_START + 999)) b=$((SUBUID_START + 1000))
	devfix lint --strategy acl "$ws" >"$WORK/lint1" 2>&1 || true
	check "vscode 1000 is not host UID $a: $(head -c 600 "$WORK/lint1")" grep -q "host UID $a " "$WORK/lint1"
	check "the image's facts were not cached" bash -c "ls '$E2E_HOME/.cache/devfix/images/'*.json >/dev/null"
	check "the second image did not import" rootless -- docker import "$WORK/rootfs-1001.tar" devfix-e2e/moving:1 >/dev/null
	driver=$(rootless -- docker info --format '{{.Driver}}')
	t0=$(date +%s)
	devfix lint --strategy acl "$ws" >"$WORK/lint2" 2>&1 || true
	check "after the tag moved, vscode 1001 is not host UID $b: $(head -c 600 "$WORK/lint2")" grep -q "host UID $b " "$WORK/lint2"
	sleep 1
	events=$(rootless -- docker events --since "$t0" --until "$(date +%s)" --filter type=container --filter event=create --format '{{.ID}}' | wc -l)
	if [ "$driver" = overlay2 ]; then
		check "an image never seen, under overlay2, made $events containers (its layer folders should answer)" [ "$events" = 0 ]
	else
		note "storage driver $driver: an image never seen made $events container(s)"
	fi
	check "tag moved back failed" rootless -- docker tag devfix-e2e/vscode:1 devfix-e2e/moving:1
	t0=$(date +%s)
	devfix lint --strategy acl "$ws" >"$WORK/lint3" 2>&1 || true
	check "moved back: vscode 1000 is not host UID $a again" grep -q "host UID $a " "$WORK/lint3"
	check "moved back: not the same findings as the first lint" cmp -s "$WORK/lint1" "$WORK/lint3"
	sleep 1
	events=$(rootless -- docker events --since "$t0" --until "$(date +%s)" --filter type=container --filter event=create --format '{{.ID}}' | wc -l)
	check "a lint of an image seen before created $events containers" [ "$events" = 0 ]
	c=$(ls "$E2E_HOME/.cache/devfix/images/" | wc -l)
	check "$c cache entries, want 2 (one per image)" [ "$c" = 2 ]
	rootless -- docker rmi devfix-e2e/moving:1 >/dev/null 2>&1 || true
}
