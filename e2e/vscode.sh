# Scenario C: the VS Code side, sourced by run.sh. `devfix shellenv --install`
# also writes DOCKER_HOST into VS Code's settings (JSONC, comments kept), and
# `devfix doctor` warns about a running VS Code server that started without
# it (its environment is frozen: it needs a restart).

# A VS Code server as Remote-SSH leaves it, with a window connected:
# ~/.vscode-server/bin/<commit>/node running out/server-main.js, and its
# child, the extension host (where Dev Containers runs), forked as
# `node out/bootstrap-fork --type=extensionHost …`. The stand-in is the real
# node binary running two scripts that idle.
VSCODE_COMMIT=5437499feb04f7a586f677b155b039bc2b3669eb

# start_vscode_server: start the stand-in as the test user, in a clean
# environment without DOCKER_HOST; sets VSC_PID (the server) and VSC_EXT (its
# extension host).
start_vscode_server() {
	local dir=$E2E_HOME/.vscode-server/bin/$VSCODE_COMMIT i
	install -d -o "$E2E_USER" -g "$(id -g "$E2E_USER")" "$E2E_HOME/.vscode-server" "$E2E_HOME/.vscode-server/bin" "$dir" "$dir/out"
	install -m 755 -o "$E2E_USER" "$(command -v node)" "$dir/node"
	put "$E2E_USER" "$dir/out/server-main.js" <<-'JS'
	// Stands in for the VS Code server: a window connects, an extension host starts.
	require('child_process').spawn(process.execPath,
		[__dirname + '/bootstrap-fork', '--type=extensionHost', '--transformURIs', '--useHostProxy=false'],
		{ stdio: 'ignore' });
	setInterval(() => {}, 1 << 30);
	JS
	echo 'setInterval(() => {}, 1 << 30); // stands in for the extension host' | put "$E2E_USER" "$dir/out/bootstrap-fork"
	as_user -- setsid "$dir/node" "$dir/out/server-main.js" --host=127.0.0.1 --port=0 \
		--connection-token=devfix-e2e --accept-server-license-terms </dev/null >/dev/null 2>&1 &
	VSC_PID= VSC_EXT=
	for i in $(seq 1 20); do
		VSC_PID=$(pgrep -u "$E2E_USER" -f -- "$dir/out/server-main.js" | head -1 || true)
		[ -z "$VSC_PID" ] || VSC_EXT=$(pgrep -P "$VSC_PID" -f -- --type=extensionHost | head -1 || true)
		[ -n "$VSC_EXT" ] && break
		sleep 0.5
	done
	[ -n "$VSC_EXT" ] || { fail "the stand-in VS Code server (or its extension host) did not start"; return 1; }
}

c_vscode() {
	local user_s=$E2E_HOME/.config/Code/User/settings.json
	local machine_s=$E2E_HOME/.vscode-server/data/Machine/settings.json
	local g f want=\"unix://$ROOTLESS_SOCK\"
	g=$(id -g "$E2E_USER")
	install -d -o "$E2E_USER" -g "$g" "$E2E_HOME/.config" "$E2E_HOME/.config/Code" "$E2E_HOME/.config/Code/User" \
		"$E2E_HOME/.vscode-server" "$E2E_HOME/.vscode-server/data" "$E2E_HOME/.vscode-server/data/Machine"
	# (Not <<-: the files keep the tabs VS Code indents with.)
	put "$E2E_USER" "$user_s" <<'JSON'
// VS Code user settings, edited by hand.
{
	/* Editor */
	"editor.fontSize": 14, // a bit larger
	"files.exclude": {
		"**/.git": true // hide the repository
	},
	// Dev Containers
	"dev.containers.defaultExtensions": ["ms-python.python"]
}
JSON
	put "$E2E_USER" "$machine_s" <<'JSON'
{
	// Remote-SSH: the settings of this machine.
	"python.defaultInterpreterPath": "/usr/bin/python3" /* the system's */
}
JSON
	# The originals, and the shell startup files --install also edits.
	local keep=("$user_s" "$machine_s") i
	for f in .profile .bashrc .bash_profile .bash_login; do [ -f "$E2E_HOME/$f" ] && keep+=("$E2E_HOME/$f"); done
	mkdir -p "$WORK/c.orig"
	for i in "${!keep[@]}"; do cp "${keep[$i]}" "$WORK/c.orig/$i"; done

	start_vscode_server
	trap 'kill "$VSC_PID" "$VSC_EXT" 2>/dev/null' EXIT
	check "the stand-in server's command line is not node .../out/server-main.js --host=127.0.0.1" \
		grep -qF "$E2E_HOME/.vscode-server/bin/$VSCODE_COMMIT/node $E2E_HOME/.vscode-server/bin/$VSCODE_COMMIT/out/server-main.js --host=127.0.0.1" \
		<<<"$(tr '\0' ' ' </proc/"$VSC_PID"/cmdline)"
	for i in "$VSC_PID" "$VSC_EXT"; do
		if grep -q '^DOCKER_HOST=' < <(tr '\0' '\n' </proc/"$i"/environ); then check "the stand-in process $i has DOCKER_HOST" false; fi
	done
	echo "a stand-in VS Code server runs without DOCKER_HOST: pid $VSC_PID, $(tr '\0' ' ' </proc/"$VSC_PID"/cmdline | cut -c1-110)..."
	echo "  its extension host: pid $VSC_EXT, $(tr '\0' ' ' </proc/"$VSC_EXT"/cmdline | sed "s|$E2E_HOME/.vscode-server/bin/$VSCODE_COMMIT|<server>|g")"

	check "devfix shellenv --install failed" devfix shellenv --install
	for f in "$user_s" "$machine_s"; do
		check "$f does not parse as JSONC after --install: $(jget "$f" 2>&1 >/dev/null)" jget "$f" >/dev/null
		check "$f: containers.environment.DOCKER_HOST is $(jget "$f" containers.environment DOCKER_HOST), not $want" \
			[ "$(jget "$f" containers.environment DOCKER_HOST)" = "$want" ]
		check "$f: docker.environment.DOCKER_HOST is $(jget "$f" docker.environment DOCKER_HOST), not $want" \
			[ "$(jget "$f" docker.environment DOCKER_HOST)" = "$want" ]
	done
	check "a comment of the user settings was lost" comments_kept "$WORK/c.orig/0" "$user_s"
	check "a comment of the machine settings was lost" comments_kept "$WORK/c.orig/1" "$machine_s"
	echo "after --install, the machine settings:"
	sed 's/^/  | /' "$machine_s"
	cat "$user_s" "$machine_s" >"$WORK/c.once"
	check "a second devfix shellenv --install failed" devfix shellenv --install
	check "a second --install changed the settings" cmp -s "$WORK/c.once" <(cat "$user_s" "$machine_s")

	# The check is its WARN line and the indented lines under it (the fix).
	local report block
	report=$(rootless -- env -C "$E2E_HOME" "$DEVFIX" doctor 2>&1) || true
	block=$(awk '/^[A-Z]+ +VS Code server:/ { on = 1; print; next } on && /^ / { print; next } { on = 0 }' <<<"$report")
	echo "doctor says:"
	sed 's/^/  | /' <<<"${block:-$report}"   # all of it when it has no such check
	check "doctor printed no line starting with 'WARN VS Code server:'" grep -qE '^WARN VS Code server:' <<<"$block"
	check "doctor's VS Code server check does not say to restart the server" grep -qiE 'restart|Kill VS Code Server' <<<"$block"
	grep -qi restart <<<"$block" || note "doctor's VS Code server check does not use the word 'restart' (it says how: Kill VS Code Server / kill PID)"

	check "devfix shellenv --uninstall failed" devfix shellenv --uninstall
	for i in "${!keep[@]}"; do
		check "--uninstall did not give back the bytes of ${keep[$i]}: $(diff "$WORK/c.orig/$i" "${keep[$i]}" | head -5)" \
			cmp -s "$WORK/c.orig/$i" "${keep[$i]}"
	done
}
