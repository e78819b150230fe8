# Scenarios B1-B2: a Docker Compose dev container on the rootless daemon (and
# for a teammate on rootful Docker), sourced by run.sh. The CLI runs
# `docker compose` when the docker CLI has that plugin, else Debian's
# docker-compose 1.29.2; each scenario prints which one ran.

# compose_seed WS: a template's compose config: the service runs as vscode
# and mounts the host's /var/run/docker.sock (docker outside of docker).
compose_seed() {
	local ws=$1 base
	base=$(basename "$ws")
	put "$E2E_USER" "$ws/.devcontainer/docker-compose.yml" <<-YAML
	# The dev container's services (from a template).
	version: "3.8"
	services:
	  app:
	    image: devfix-e2e/vscode:1   # busybox with a vscode user
	    user: vscode
	    command: sleep infinity
	    volumes:
	      # The workspace, one level up from .devcontainer.
	      - ..:/workspaces/$base:cached
	      # Docker outside of Docker: the host's daemon.
	      - /var/run/docker.sock:/var/run/docker.sock
	YAML
	write_config "$ws" <<-JSON
	// A Docker Compose dev container.
	{
		"dockerComposeFile": "docker-compose.yml",
		"service": "app",
		"workspaceFolder": "/workspaces/$base" // the volume in the YAML
	}
	JSON
}

compose_project() { echo "$(basename "$1")_devcontainer"; }

# cdown WS ENV...: remove the compose project's containers and networks.
cdown() {
	local p ids
	p=$(compose_project "$1"); shift
	ids=$(as_user "$@" -- docker ps -aq --filter "label=com.docker.compose.project=$p" 2>/dev/null || true)
	[ -z "$ids" ] || as_user "$@" -- docker rm -f $ids >/dev/null 2>&1 || true
	ids=$(as_user "$@" -- docker network ls -q --filter "label=com.docker.compose.project=$p" 2>/dev/null || true)
	[ -z "$ids" ] || as_user "$@" -- docker network rm $ids >/dev/null 2>&1 || true
}

# cup WS ENV...: devcontainer up of a compose config; log in $WORK/up.log.
cup() {
	local ws=$1; shift
	cdown "$ws" "$@"
	as_user "$@" -- devcontainer up --workspace-folder "$ws" >"$WORK/up.log" 2>&1
}

# compose_used: which compose the CLI ran (from $WORK/up.log).
compose_used() {
	local c
	c=$(grep -oE 'Run: docker(-compose| compose) ' "$WORK/up.log" | head -1 | sed 's/^Run: //; s/ $//')
	case $c in
	docker-compose) echo "docker-compose ($(docker-compose version --short 2>/dev/null))" ;;
	*) echo "${c:-?}" ;;
	esac
}

# socket_source WS ENV...: the host path bound at /var/run/docker.sock.
socket_source() {
	local ws=$1 id; shift
	id=$(as_user "$@" -- docker ps -q --filter "label=com.docker.compose.project=$(compose_project "$ws")" | head -1)
	as_user "$@" -- docker inspect --format '{{range .Mounts}}{{if eq .Destination "/var/run/docker.sock"}}{{.Source}}{{end}}{{end}}' "$id"
}

# socket_reaches WS NAME WANT-HOST ENV...: a request through
# /var/run/docker.sock, made inside the container as the remote user, reaches
# the daemon at WANT-HOST (same daemon ID); NAME says which that is.
socket_reaches() {
	local ws=$1 name=$2 want=$3 probe got id base
	shift 3
	base=$(basename "$ws")
	probe=$(sockprobe) || { fail "could not build the socket probe (testdata/sockprobe.go)"; return 1; }
	install -m 755 -o "$E2E_USER" "$probe" "$ws/.sockprobe"
	got=$(run_in "$ws" "$@" -- "/workspaces/$base/.sockprobe") || { fail "the request through /var/run/docker.sock failed: $(tail -1 "$WORK/exec.err")"; return 1; }
	id=$(as_user DOCKER_HOST="$want" -- docker info --format '{{.ID}}')
	echo "  a request through /var/run/docker.sock inside, as $(run_in "$ws" "$@" -- id -un): daemon $got (the $name daemon is $id)"
	case $got in "$id "*) ;; *) fail "the socket inside reaches daemon '$got', not the $name one ($id)"; return 1 ;; esac
}

# yaml_edit_ok OLD NEW INDENT VALUE: NEW differs from OLD in exactly one line,
# the list item VALUE at INDENT (plain, or quoted), and keeps every line with
# a comment.
yaml_edit_ok() {
	local old=$1 new=$2 want=$3$4 l
	while IFS= read -r l; do
		case $l in *'#'*) grep -qxF -- "$l" "$new" || { fail "a YAML comment line was lost: $l"; return 1; } ;; esac
	done <"$old"
	! cmp -s "$old" "$new" || { fail "the YAML was not changed"; return 1; }
	[ "$(diff "$old" "$new" | grep -c '^[<>]')" = 2 ] || { fail "the YAML edit is not one line: $(diff "$old" "$new")"; return 1; }
	grep -qxF -e "$3$4" -e "$3\"$4\"" -e "$3'$4'" -- "$new" || { fail "the YAML has no line '$want': $(diff "$old" "$new")"; return 1; }
}

cb1_root() {
	local ws base y j R
	ws=$(new_ws compose1)
	base=$(basename "$ws")
	y=$ws/.devcontainer/docker-compose.yml
	j=$ws/.devcontainer/devcontainer.json
	R=DOCKER_HOST=unix://$ROOTLESS_SOCK
	compose_seed "$ws"
	cp "$y" "$WORK/b1.yml"
	cp "$j" "$WORK/b1.json"
	if cup "$ws" "$R"; then
		echo "before: up works ($(compose_used)); /var/run/docker.sock is bound from '$(socket_source "$ws" "$R")'," \
			"inside it is: $(run_in "$ws" "$R" -- ls -ld /var/run/docker.sock | cut -c1-10)"
		if run_in "$ws" "$R" -- touch "/workspaces/$base/probe"; then
			check "writing the workspace worked BEFORE the fix: the test proves nothing" false
		fi
		check "before the fix, the failure was not 'Permission denied'" grep -q "Permission denied" "$WORK/exec.err"
		echo "before: touch in the workspace: $(tail -1 "$WORK/exec.err")"
	else
		check "up failed BEFORE the fix, but not on the docker.sock source" grep -q "docker.sock" "$WORK/up.log"
		echo "before: up fails on the socket source: $(grep -m1 docker.sock "$WORK/up.log")"
	fi
	cdown "$ws" "$R"
	check "devfix apply failed" devfix apply "$ws"
	check "containerUser is $(jget "$j" containerUser), not root" [ "$(jget "$j" containerUser)" = '"root"' ]
	check "remoteUser is $(jget "$j" remoteUser), not root" [ "$(jget "$j" remoteUser)" = '"root"' ]
	check "updateRemoteUserUID is not false" [ "$(jget "$j" updateRemoteUserUID)" = false ]
	check "a comment of devcontainer.json was lost" comments_kept "$WORK/b1.json" "$j"
	yaml_edit_ok "$WORK/b1.yml" "$y" '      - ' '${XDG_RUNTIME_DIR}/docker.sock:/var/run/docker.sock'
	check "up failed after the fix" cup "$ws" "$R"
	echo "after: up works ($(compose_used))"
	check "writing the workspace failed after the fix" run_in "$ws" "$R" -- touch "/workspaces/$base/probe"
	check "the file is owned by $(owner_of "$ws/probe"), not the host user $E2E_UID" [ "$(owner_of "$ws/probe")" = "$E2E_UID" ]
	local src
	src=$(socket_source "$ws" "$R")
	check "the socket is bound from '$src', not $ROOTLESS_SOCK (compose did not interpolate XDG_RUNTIME_DIR)" [ "$src" = "$ROOTLESS_SOCK" ]
	socket_reaches "$ws" rootless "unix://$ROOTLESS_SOCK" "$R"
	cdown "$ws" "$R"
	check "a second apply would change something" devfix apply --check "$ws"
}

# The rootful teammate's /var/run/docker.sock: a link to the rootful test
# socket, made only where nothing is (the mark tells cleanup to remove it).
DOCKER_SOCK_MARK=$WORK/made-var-run-docker-sock
make_docker_sock_link() {
	local old
	old=$(readlink /var/run/docker.sock || true)
	# A dangling link an interrupted run left behind is ours to remove.
	case $old in /tmp/devfix-e2e.*/rootful/docker.sock) [ -e "$old" ] || rm -f /var/run/docker.sock ;; esac
	[ -e /var/run/docker.sock ] || [ -L /var/run/docker.sock ] && return 1
	ln -s "$ROOTFUL_SOCK" /var/run/docker.sock && touch "$DOCKER_SOCK_MARK"
}
remove_docker_sock_link() {
	[ -f "$DOCKER_SOCK_MARK" ] || return 0
	[ "$(readlink /var/run/docker.sock)" = "$ROOTFUL_SOCK" ] && rm -f /var/run/docker.sock
	rm -f "$DOCKER_SOCK_MARK"
}

cb2_env() {
	local ws base y j who rvars=()
	ws=$(new_ws compose2)
	base=$(basename "$ws")
	y=$ws/.devcontainer/docker-compose.yml
	j=$ws/.devcontainer/devcontainer.json
	compose_seed "$ws"
	cp "$y" "$WORK/b2.yml"
	cp "$j" "$WORK/b2.json"
	check "devfix apply --strategy env failed" devfix apply --strategy env "$ws"
	check "remoteUser is $(jget "$j" remoteUser): not from DEVFIX_REMOTE_USER" grep -q 'localEnv:DEVFIX_REMOTE_USER[:}]' <<<"$(jget "$j" remoteUser)"
	check "containerUser is $(jget "$j" containerUser): not from DEVFIX_CONTAINER_USER" grep -q 'localEnv:DEVFIX_CONTAINER_USER[:}]' <<<"$(jget "$j" containerUser)"
	check "a comment of devcontainer.json was lost" comments_kept "$WORK/b2.json" "$j"
	yaml_edit_ok "$WORK/b2.yml" "$y" '      - ' '${DEVFIX_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock'
	echo "the committed files:"
	sed 's/^/  | /' "$j" "$y"

	# The rootless user after eval "$(devfix shellenv)": root, its own socket.
	shellenv_vars rvars "$E2E_USER" DOCKER_HOST="unix://$ROOTLESS_SOCK"
	check "shellenv exports ${rvars[*]}, not DEVFIX_DOCKER_SOCKET=$ROOTLESS_SOCK" grep -qx "DEVFIX_DOCKER_SOCKET=$ROOTLESS_SOCK" < <(printf '%s\n' "${rvars[@]}")
	echo "  rootless, with: ${rvars[*]}"
	rm -f "$ws/rootless"
	check "up on rootless (with shellenv's variables) failed" cup "$ws" "${rvars[@]}"
	echo "  rootless: up works ($(compose_used))"
	who=$(run_in "$ws" "${rvars[@]}" -- id -un) || true
	check "on rootless the remote user is '$who', not root" [ "$who" = root ]
	check "writing the workspace on rootless failed" run_in "$ws" "${rvars[@]}" -- touch "/workspaces/$base/rootless"
	check "the rootless file is not the host user's" [ "$(owner_of "$ws/rootless")" = "$E2E_UID" ]
	check "on rootless the socket is bound from '$(socket_source "$ws" "${rvars[@]}")', not $ROOTLESS_SOCK" \
		[ "$(socket_source "$ws" "${rvars[@]}")" = "$ROOTLESS_SOCK" ]
	socket_reaches "$ws" rootless "unix://$ROOTLESS_SOCK" "${rvars[@]}"
	cdown "$ws" "${rvars[@]}"

	# The teammate on rootful Docker, no variables: vscode, /var/run/docker.sock.
	local F=DOCKER_HOST=unix://$ROOTFUL_SOCK made_link=
	if make_docker_sock_link; then made_link=1; else note "/var/run/docker.sock exists already: not checking where it leads"; fi
	rm -f "$ws/rootful"
	check "up on rootful (no variables) failed" cup "$ws" "$F"
	who=$(run_in "$ws" "$F" -- id -un) || true
	check "on rootful the remote user is '$who', not vscode" [ "$who" = vscode ]
	check "writing the workspace on rootful failed" run_in "$ws" "$F" -- touch "/workspaces/$base/rootful"
	check "the rootful file is not the host user's" [ "$(owner_of "$ws/rootful")" = "$E2E_UID" ]
	[ -z "$made_link" ] || socket_reaches "$ws" rootful "unix://$ROOTFUL_SOCK" "$F"
	cdown "$ws" "$F"
	remove_docker_sock_link
}
