# Scenarios H1-H6: the admin's side of a shared host (devfix host grant,
# devfix host pam-profile, devfix host check), sourced by run.sh. Real tools:
# directory users from libnss-extrausers (standing in for SSSD), pam_exec
# through pamtester, shadow's usermod, pam-auth-update, rootless Podman and
# Docker, the reference CLI.
#
# Every scenario saves what it may change in /etc (and the extrausers files)
# first and puts it back in a trap; run.sh's clean-up does the same if a
# scenario was killed. The directory users are all named dom.h<N>… with UIDs
# in SSSD's default slice 7754 (1551000000 + RID), and every leftover of an
# earlier, interrupted run is removed before a scenario starts, so the file
# can run again.

HOST_SAVE=$WORK/etc-save   # a fixed path: scenarios run in subshells
HOST_SLICE=1551000000      # SSSD's ID mapping: 200000 + slice 7754 * 200000
HOST_FILES="/etc/subuid /etc/subgid /etc/subuid- /etc/subgid- /etc/passwd /etc/passwd- /etc/group /etc/group-
	/etc/gshadow /etc/gshadow- /etc/shadow /etc/shadow- /etc/login.defs /etc/nsswitch.conf
	/var/lib/extrausers/passwd /var/lib/extrausers/group /var/lib/extrausers/shadow"
# FreeIPA's window for subordinate IDs, above every ID a directory hands out.
HOST_WIN_MIN=2147483648
HOST_WIN_MAX=4294901759

# ---------------------------------------------------------------- /etc, saved and put back

# host_save: copy what the scenario may change to $HOST_SAVE (once; made
# whole in $HOST_SAVE.tmp, then renamed, so a save is complete or absent).
host_save() {
	[ -d "$HOST_SAVE" ] && return 0
	rm -rf "$HOST_SAVE.tmp"
	mkdir -p "$HOST_SAVE.tmp/files"
	local f
	for f in $HOST_FILES; do
		if [ -e "$f" ]; then
			mkdir -p "$HOST_SAVE.tmp/files$(dirname "$f")"
			cp -a "$f" "$HOST_SAVE.tmp/files$f"
		else
			echo "$f" >>"$HOST_SAVE.tmp/absent"
		fi
	done
	cp -a /etc/pam.d "$HOST_SAVE.tmp/pam.d"
	if [ -d /etc/sssd ]; then cp -a /etc/sssd "$HOST_SAVE.tmp/sssd"; else touch "$HOST_SAVE.tmp/no-sssd"; fi
	touch "$HOST_SAVE.tmp/absent"
	mv "$HOST_SAVE.tmp" "$HOST_SAVE"
}

# host_restore: put back what host_save copied and remove what the scenario
# added: files that were absent, the pam.d files it writes (devfix-e2e*),
# /etc/sssd when there was none, shadow's lock files. The save is claimed by
# a rename first: on a signal the scenario's trap and run.sh's clean-up both
# get here, and only one may restore (the other finds nothing). Nothing in
# /etc/pam.d is removed but the files named devfix-e2e*.
host_restore() {
	local saved=$HOST_SAVE.restoring.$BASHPID f
	mv -T "$HOST_SAVE" "$saved" 2>/dev/null || return 0
	for f in $HOST_FILES; do
		if [ -e "$saved/files$f" ]; then
			cp -a "$saved/files$f" "$f"
		elif grep -qxF "$f" "$saved/absent"; then
			rm -f "$f"
		fi
	done
	rm -f /etc/pam.d/devfix-e2e*
	[ -d "$saved/pam.d" ] && cp -a "$saved/pam.d/." /etc/pam.d/
	if [ -d "$saved/sssd" ]; then
		rm -rf /etc/sssd && cp -a "$saved/sssd" /etc/sssd
	elif [ -f "$saved/no-sssd" ]; then
		rm -rf /etc/sssd
	fi
	rm -f /etc/subuid.lock /etc/subgid.lock /etc/passwd.lock /etc/group.lock /etc/gshadow.lock /etc/shadow.lock
	rm -rf "$saved"
}

# host_begin: start a scenario: forget an earlier run's users, save /etc,
# restore it (and forget the users) when the scenario's subshell exits.
host_begin() {
	host_forget_users
	host_save
	trap 'host_end' EXIT
}
host_end() {
	set +e
	host_forget_users
	host_restore
}

# host_cleanup: for run.sh's clean-up (a scenario killed before its trap ran).
host_cleanup() {
	[ -d "$HOST_SAVE" ] || return 0
	host_forget_users
	host_restore
}

# ---------------------------------------------------------------- directory users

# dir_user NAME RID: a directory user (NSS only, through libnss-extrausers)
# with UID and GID $HOST_SLICE+RID, a home in /home/NAME and a runtime dir.
dir_user() {
	local u=$1 id=$((HOST_SLICE + $2))
	install -d -m 755 /var/lib/extrausers
	touch /var/lib/extrausers/passwd /var/lib/extrausers/group /var/lib/extrausers/shadow
	echo "$u:x:$id:$id:Directory User:/home/$u:/bin/bash" >>/var/lib/extrausers/passwd
	echo "$u:x:$id:" >>/var/lib/extrausers/group
	echo "$u:*:19000:0:99999:7:::" >>/var/lib/extrausers/shadow
	sed -i -E '/^(passwd|group|shadow):/ { /extrausers/! s/$/ extrausers/ }' /etc/nsswitch.conf
	install -d -m 700 -o "$id" -g "$id" "/home/$u" "$WORK/xdg-$u"
	forget_user_tmp "$u" ""
}

# host_forget_users: every dom.h* user: its processes (by its UID), its
# lines in the extrausers files, /etc/subuid, /etc/subgid, /etc/passwd and
# /etc/group, its home, runtime dir and /tmp files.
host_forget_users() {
	local u id
	[ -f /var/lib/extrausers/passwd ] || return 0
	while IFS=: read -r u _ id _; do
		case $u in dom.h[0-9]*) ;; *) continue ;; esac
		pkill -KILL -U "$id" 2>/dev/null && sleep 1
		forget_user_tmp "$u" "$id"
		rm -rf "/home/$u" "$WORK/xdg-$u"
	done </var/lib/extrausers/passwd
	sed -i '/^dom\.h[0-9]/d' /var/lib/extrausers/passwd /var/lib/extrausers/group /var/lib/extrausers/shadow \
		/etc/subuid /etc/subgid /etc/passwd
	sed -i -E '/^docker:/ { s/([:,])dom\.h[0-9][^,]*/\1/g; s/,,+/,/g; s/:,/:/; s/,$// }' /etc/group /etc/gshadow
	return 0
}

# ---------------------------------------------------------------- fixtures and reading

# set_window MIN MAX: the SUB_UID_* and SUB_GID_* window in /etc/login.defs.
set_window() {
	local k v
	for k in SUB_UID_MIN SUB_GID_MIN SUB_UID_MAX SUB_GID_MAX; do
		case $k in *MIN) v=$1 ;; *) v=$2 ;; esac
		if grep -qE "^[[:space:]]*$k[[:space:]]" /etc/login.defs; then
			sed -i -E "s/^[[:space:]]*$k[[:space:]].*/$k\t\t$v/" /etc/login.defs
		else
			printf '%s\t\t%s\n' "$k" "$v" >>/etc/login.defs
		fi
	done
}

# sssd_ad: an sssd.conf (mode 600) with one AD domain on SSSD's default ID
# mapping (200000-2000200000). SSSD is not installed: a file to read.
sssd_ad() {
	install -d -m 711 /etc/sssd
	install -m 600 /dev/stdin /etc/sssd/sssd.conf <<-'EOF'
	[sssd]
	domains = corp.example.com
	services = nss, pam

	[domain/corp.example.com]
	id_provider = ad
	access_provider = ad
	ad_domain = corp.example.com
	krb5_realm = CORP.EXAMPLE.COM
	EOF
}

# range_of FILE USER: "start count" of USER's lines in FILE, one a line.
range_of() { awk -F: -v u="$2" '$1 == u && NF == 3 { print $2, $3 }' "$1"; }

# overlaps FILE...: the pairs of ranges of different owners that overlap, one
# a line (nothing when there are none). Comments, blank and malformed lines
# are skipped.
overlaps() {
	awk -F: 'NF == 3 && $1 !~ /^#/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { print $2, $2 + $3, $1, FILENAME }' "$@" |
		sort -k4,4 -k1,1n | awk '
		$4 != file { file = $4; end = 0; owner = "" }
		{ if ($1 < end && $3 != owner) print file ": " $3 " [" $1 "," $2 ") overlaps " owner " (up to " end ")"
		  if ($2 > end) { end = $2; owner = $3 } }'
}

# first_free MIN COUNT FILE...: the lowest start >= MIN where COUNT IDs fit
# between the ranges in the files.
first_free() {
	local min=$1 count=$2
	shift 2
	awk -F: 'NF == 3 && $2 ~ /^[0-9]+$/ { print $2, $2 + $3 }' "$@" | sort -n |
		awk -v s="$min" -v c="$count" '$2 <= s { next } $1 >= s + c { exit } { s = $2 } END { print s }'
}

no_locks() { [ ! -e /etc/subuid.lock ] && [ ! -e /etc/subgid.lock ]; }

# ---------------------------------------------------------------- H1: a granted user works

h1_granted() {
	host_begin
	local u=dom.h1 id out rc start gstart count ws base f
	dir_user "$u" 1201
	id=$(id -u "$u")
	sssd_ad
	check "$u is in /etc/passwd" bash -c "! grep -q '^$u:' /etc/passwd"

	# With the window inside SSSD's IDs there is no room: exit 1, a hint, nothing written.
	set_window 200000 600100000
	cat /etc/subuid /etc/subgid >"$WORK/h1.before"
	out=$("$DEVFIX" host grant "$u" 2>&1) && rc=0 || rc=$?
	check "host grant with no room left outside SSSD's IDs: exit $rc, not 1: $out" [ $rc = 1 ]
	echo "  no room: $out"
	check "host grant with no room does not say how to widen the window (SUB_UID_MIN): $out" grep -q SUB_UID_MIN <<<"$out"
	check "host grant with no room wrote something" cmp -s "$WORK/h1.before" <(cat /etc/subuid /etc/subgid)

	# Before the grant, rootless Podman cannot hold the image's vscode (1000).
	if run_as "$u" -- podman import -q "$ROOTFS_TAR" devfix-e2e/vscode:1 >/dev/null 2>"$WORK/exec.err"; then
		fail "podman import worked before the grant: the test proves nothing"; return 1
	fi
	echo "  before the grant: podman import fails: $(grep -m1 -iE 'error|insufficient|lchown' "$WORK/exec.err" || tail -1 "$WORK/exec.err")"
	run_as "$u" -- podman system migrate >/dev/null 2>&1 || true

	# The FreeIPA window: the range starts at 2^31, in both files.
	set_window "$HOST_WIN_MIN" "$HOST_WIN_MAX"
	out=$("$DEVFIX" host grant "$u" 2>&1) || { fail "devfix host grant $u failed: $out"; return 1; }
	read -r start count <<<"$(range_of /etc/subuid "$u")"
	read -r gstart _ <<<"$(range_of /etc/subgid "$u")"
	echo "  granted: $u:$start:$count (subuid), $u:$gstart (subgid)"
	check "no /etc/subuid range for $u" [ -n "$start" ]
	check "no /etc/subgid range for $u" [ -n "$gstart" ]
	check "one /etc/subuid line for $u, not $(range_of /etc/subuid "$u" | wc -l)" [ "$(range_of /etc/subuid "$u" | wc -l)" = 1 ]
	check "the subuid range starts at $start, not in the window from $HOST_WIN_MIN" [ "$start" -ge "$HOST_WIN_MIN" ]
	check "the subuid range has $count IDs, not 65536" [ "$count" = 65536 ]
	check "different starts in subuid ($start) and subgid ($gstart)" [ "$start" = "$gstart" ]
	check "host grant added an /etc/passwd line" bash -c "! grep -q '^$u:' /etc/passwd"
	check "a lock file is left" no_locks
	cat /etc/subuid /etc/subgid >"$WORK/h1.granted"
	out=$("$DEVFIX" host grant "$u" 2>&1) || { fail "a second host grant failed: $out"; return 1; }
	check "a second host grant changed the files" cmp -s "$WORK/h1.granted" <(cat /etc/subuid /etc/subgid)

	# Rootless Podman: the user namespace has the range; the seed comes up
	# (after devfix apply: the UID update cannot hold a UID this high).
	run_as "$u" -- podman system migrate >/dev/null 2>&1 || true
	out=$(run_as "$u" -- podman unshare cat /proc/self/uid_map 2>"$WORK/exec.err") || { fail "podman unshare failed as $u: $(tail -1 "$WORK/exec.err")"; return 1; }
	echo "  podman's uid_map: $(echo $out)"
	check "podman's uid_map has no '1 $start 65536': $out" grep -qE "^ *1 +$start +65536$" <<<"$out"
	check "podman import as $u failed after the grant" run_as "$u" -- podman import -q "$ROOTFS_TAR" devfix-e2e/vscode:1 >/dev/null
	ws=$(new_ws_of "$u" h1pod)
	pod_seed | write_config "$ws" "$u"
	check "devfix apply as $u failed" run_as "$u" -- "$DEVFIX" apply "$ws" >/dev/null
	pod_works "$u" "$ws" vscode

	# Rootless Docker: its own dockerd, RootlessKit maps the same range.
	log "starting the rootless dockerd of $u"
	local sock=$WORK/xdg-$u/docker.sock
	runuser -u "$u" -- env -i HOME="/home/$u" USER="$u" XDG_RUNTIME_DIR="$WORK/xdg-$u" \
		PATH=/usr/share/docker.io/contrib:/usr/sbin:/usr/bin:/sbin:/bin \
		setsid dockerd-rootless.sh >"$WORK/h1-dockerd.log" 2>&1 </dev/null &
	local i
	for i in $(seq 1 60); do
		run_as "$u" DOCKER_HOST="unix://$sock" -- docker info >/dev/null 2>&1 && break
		[ "$i" = 60 ] && { tail -5 "$WORK/h1-dockerd.log"; fail "the rootless dockerd of $u did not come up in 60s"; return 1; }
		sleep 1
	done
	check "the dockerd of $u is not rootless" grep -q 'name=rootless' <<<"$(run_as "$u" DOCKER_HOST="unix://$sock" -- docker info --format '{{json .SecurityOptions}}')"
	check "docker import as $u failed" run_as "$u" DOCKER_HOST="unix://$sock" -- docker import "$ROOTFS_TAR" devfix-e2e/vscode:1 >/dev/null
	# RootlessKit's child: the user's process whose uid_map maps the range.
	local p maps=
	for p in $(pgrep -U "$id"); do
		grep -qE "^ *1 +$start +65536$" "/proc/$p/uid_map" 2>/dev/null && { maps=$p; break; }
	done
	check "no process of $u's dockerd has '1 $start 65536' in its uid_map" [ -n "$maps" ]
	echo "  RootlessKit's child $maps: uid_map $(echo $(cat "/proc/$maps/uid_map"))"
	check "docker run as $u failed" run_as "$u" DOCKER_HOST="unix://$sock" -- docker run --rm devfix-e2e/vscode:1 true
	ws=$(new_ws_of "$u" h1docker)
	base=$(basename "$ws")
	f=$ws/.devcontainer/devcontainer.json
	seed_config | write_config "$ws" "$u"
	check "devfix apply as $u on Docker failed" run_as "$u" DOCKER_HOST="unix://$sock" -- "$DEVFIX" apply "$ws" >/dev/null
	check "remoteUser is $(jget "$f" remoteUser), not root" [ "$(jget "$f" remoteUser)" = '"root"' ]
	check "devcontainer up on $u's rootless Docker failed" \
		run_as "$u" DOCKER_HOST="unix://$sock" -- devcontainer up --workspace-folder "$ws" >"$WORK/up.log" 2>&1
	check "writing the workspace on $u's rootless Docker failed" \
		run_as "$u" DOCKER_HOST="unix://$sock" -- devcontainer exec --workspace-folder "$ws" touch "/workspaces/$base/made" 2>"$WORK/exec.err"
	check "the file made on Docker is owned by $(owner_of "$ws/made"), not $u ($id)" [ "$(owner_of "$ws/made")" = "$id" ]
	run_as "$u" DOCKER_HOST="unix://$sock" -- docker rm -f $(run_as "$u" DOCKER_HOST="unix://$sock" -- docker ps -aq) >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------- H2-H4: logins through PAM, beside usermod

H_LOGINS=30         # directory users logging in at once
H_SHADOW=10         # other users usermod gives ranges meanwhile
H_ROUND=$WORK/h-round

# h_rounds: once per run, with /etc saved and put back around it: 30
# directory users log in at once through a pam.d service whose session runs
# `devfix host grant --pam` (pam_exec, as sshd would), while usermod adds
# ranges for 10 other users; then the same 30 logins again. What the
# scenarios check is kept in $H_ROUND: both files after each round, every
# pamtester's and usermod's exit status, the locks seen.
h_rounds() {
	[ -f "$H_ROUND/done" ] && return 0
	rm -rf "$H_ROUND"
	mkdir -p "$H_ROUND/rc" "$H_ROUND/usermod"
	# (In the foreground, so that a signal reaches it before run.sh's clean-up
	# runs; and not under `||`, where set -e would be off in it.)
	local rc
	set +e
	( h_rounds_run ) >"$H_ROUND/out" 2>&1
	rc=$?
	set -e
	sed 's/^/  | /' "$H_ROUND/out"
	[ $rc = 0 ] || { fail "the login rounds could not run (exit $rc)"; return 1; }
	touch "$H_ROUND/done"
}

h_user() { printf 'dom.h2u%02d' "$1"; }
h_other() { printf 'dom.h3u%02d' "$1"; }

h_rounds_run() {
	set -e
	host_begin
	local i u s
	for i in $(seq 1 $H_LOGINS); do dir_user "$(h_user $i)" $((2000 + i)); done
	for i in $(seq 0 $H_SHADOW); do dir_user "$(h_other $i)" $((3000 + i)); done
	set_window 100000 600100000   # shadow's defaults, spelt out
	# pam_exec runs devfix with no PATH, as root, PAM_USER set; `required`
	# so that a failing grant fails the login pamtester reports.
	cat >/etc/pam.d/devfix-e2e <<-EOF
	auth	required	pam_permit.so
	account	required	pam_permit.so
	session	required	pam_exec.so type=open_session quiet log=$H_ROUND/pam.log $DEVFIX host grant --pam
	EOF
	# What usermod wrote before the logins, where devfix's first range would
	# go: devfix has to allocate around it.
	s=$(first_free 100000 65536 /etc/subuid /etc/subgid)
	usermod --add-subuids "$s-$((s + 65535))" --add-subgids "$s-$((s + 65535))" "$(h_other 0)"
	echo "$s" >"$H_ROUND/usermod/0"
	echo "usermod gave $(h_other 0) $s-$((s + 65535)) before the logins"
	cp /etc/subuid "$H_ROUND/subuid.0"
	cp /etc/subgid "$H_ROUND/subgid.0"

	# Round 1: the logins, and usermod for the other users at the same time,
	# outside devfix's window (usermod checks no overlap). usermod exits 16
	# while devfix holds /etc/subuid.lock: it is tried again; each exit is kept.
	h_other_logins &
	local shadow_pid=$!
	h_logins 1
	wait "$shadow_pid"
	ls -d /etc/subuid.lock /etc/subgid.lock >"$H_ROUND/locks.1" 2>/dev/null || true
	cp /etc/subuid "$H_ROUND/subuid.1"
	cp /etc/subgid "$H_ROUND/subgid.1"

	# Round 2: the same logins.
	h_logins 2
	ls -d /etc/subuid.lock /etc/subgid.lock >"$H_ROUND/locks.2" 2>/dev/null || true
	cp /etc/subuid "$H_ROUND/subuid.2"
	cp /etc/subgid "$H_ROUND/subgid.2"
	cp /etc/login.defs "$H_ROUND/login.defs"
}

# h_logins ROUND: the 30 pamtester sessions at once; exit statuses in rc/.
h_logins() {
	local r=$1 i t pids=()
	t=$(date +%s%N)
	for i in $(seq 1 $H_LOGINS); do
		( pamtester devfix-e2e "$(h_user $i)" open_session >"$H_ROUND/rc/$r.$i.out" 2>&1; echo $? >"$H_ROUND/rc/$r.$i" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	echo "round $r: $H_LOGINS logins in $(( ($(date +%s%N) - t) / 1000000 )) ms"
}

# h_other_logins: usermod --add-subuids/--add-subgids for the other users.
h_other_logins() {
	local i u s rc try
	for i in $(seq 1 $H_SHADOW); do
		u=$(h_other $i)
		s=$((700000000 + i * 65536))
		for try in $(seq 1 100); do
			rc=0
			usermod --add-subuids "$s-$((s + 65535))" --add-subgids "$s-$((s + 65535))" "$u" 2>>"$H_ROUND/usermod/err" || rc=$?
			echo "$rc" >>"$H_ROUND/usermod/$i.rcs"
			[ $rc = 0 ] && { echo "$s" >"$H_ROUND/usermod/$i"; break; }
			sleep 0.05
		done
		sleep 0.3   # spread over the logins' burst
	done
}

h2_logins() {
	h_rounds   # (not under ||: see h_rounds)
	local i u n bad=() starts=() s g c
	for i in $(seq 1 $H_LOGINS); do
		[ "$(cat "$H_ROUND/rc/1.$i")" = 0 ] || bad+=("$(h_user $i): $(tail -1 "$H_ROUND/rc/1.$i.out")")
	done
	# (pam_exec heads each run's output with a "*** date" line.)
	grep -q -v '^\*\*\* ' "$H_ROUND/pam.log" 2>/dev/null && { echo "  pam_exec's log:"; grep -v '^\*\*\* ' "$H_ROUND/pam.log" | sort | uniq -c | head -20 | sed 's/^/  | /'; }
	check "logins failed: ${bad[*]}" [ ${#bad[@]} = 0 ]
	for i in $(seq 1 $H_LOGINS); do
		u=$(h_user $i)
		n=$(range_of "$H_ROUND/subuid.1" "$u" | wc -l)
		check "$u has $n /etc/subuid lines, not 1" [ "$n" = 1 ]
		check "$u has $(range_of "$H_ROUND/subgid.1" "$u" | wc -l) /etc/subgid lines, not 1" [ "$(range_of "$H_ROUND/subgid.1" "$u" | wc -l)" = 1 ]
		read -r s c <<<"$(range_of "$H_ROUND/subuid.1" "$u")"
		read -r g _ <<<"$(range_of "$H_ROUND/subgid.1" "$u")"
		check "$u: $c subordinate UIDs, not 65536" [ "$c" = 65536 ]
		check "$u: subuid starts at $s, subgid at $g" [ "$s" = "$g" ]
		check "$u: $s is outside the window 100000-600100000" [ "$s" -ge 100000 -a $((s + c - 1)) -le 600100000 ]
		starts+=("$s")
	done
	check "the $H_LOGINS ranges are not distinct" [ "$(printf '%s\n' "${starts[@]}" | sort -u | wc -l)" = $H_LOGINS ]
	local ov
	ov=$(overlaps "$H_ROUND/subuid.1" "$H_ROUND/subgid.1")
	check "overlapping ranges after the logins: $ov" [ -z "$ov" ]
	check "a lock was left after the logins: $(cat "$H_ROUND/locks.1")" [ ! -s "$H_ROUND/locks.1" ]
	# Only appended: the file before the logins is a prefix of the file after.
	check "/etc/subuid before the logins is not a prefix of it after" cmp -s "$H_ROUND/subuid.0" <(head -c "$(stat -c %s "$H_ROUND/subuid.0")" "$H_ROUND/subuid.1")
	check "/etc/subgid before the logins is not a prefix of it after" cmp -s "$H_ROUND/subgid.0" <(head -c "$(stat -c %s "$H_ROUND/subgid.0")" "$H_ROUND/subgid.1")
	echo "  $H_LOGINS logins: $H_LOGINS distinct ranges from $(printf '%s\n' "${starts[@]}" | sort -n | head -1) to $(printf '%s\n' "${starts[@]}" | sort -n | tail -1), no overlap, no lock left"
}

h3_shadow() {
	h_rounds   # (not under ||: see h_rounds)
	local i u s f tries=0 done=0 s0 first
	s0=$(cat "$H_ROUND/usermod/0")
	for f in subuid subgid; do
		check "usermod's line from before the logins is gone from /etc/$f" grep -qx "$(h_other 0):$s0:65536" "$H_ROUND/$f.1"
	done
	for i in $(seq 1 $H_SHADOW); do
		u=$(h_other $i)
		tries=$((tries + $(wc -l <"$H_ROUND/usermod/$i.rcs")))
		[ -f "$H_ROUND/usermod/$i" ] || continue
		s=$(cat "$H_ROUND/usermod/$i")
		done=$((done + 1))
		for f in subuid subgid; do
			check "usermod reported $u:$s:65536 done (exit 0), but it is not in /etc/$f after the logins" grep -qx "$u:$s:65536" "$H_ROUND/$f.1"
			check "usermod's $u:$s:65536 is gone from /etc/$f after the second round" grep -qx "$u:$s:65536" "$H_ROUND/$f.2"
		done
	done
	echo "  usermod: $done of $H_SHADOW users done in $tries tries (exits: $(cat "$H_ROUND"/usermod/*.rcs | sort | uniq -c | awk '{ printf "%s×%s ", $2, $1 }'))"
	[ -s "$H_ROUND/usermod/err" ] && echo "  usermod said: $(sort "$H_ROUND/usermod/err" | uniq -c | head -3 | tr '\n' ' ')"
	check "usermod never succeeded beside the logins: nothing was tested" [ "$done" -gt 0 ]
	# Appends land in time order: usermod's lines among devfix's show they ran at once.
	echo "  /etc/subuid after round 1, by line: $(awk -F: '$1 ~ /^dom\.h2u/ { printf "d" } $1 ~ /^dom\.h3u/ { printf "U" }' "$H_ROUND/subuid.1") (d devfix, U usermod)"
	first=$(for i in $(seq 1 $H_LOGINS); do range_of "$H_ROUND/subuid.1" "$(h_user $i)"; done | sort -n | head -1 | cut -d' ' -f1)
	check "the logins got no range from devfix" [ -n "$first" ]
	check "devfix put a range at $first, inside usermod's $s0-$((s0 + 65535))" [ "$first" -ge $((s0 + 65536)) -o $((first + 65536)) -le "$s0" ]
}

h4_again() {
	h_rounds   # (not under ||: see h_rounds)
	local i bad=()
	for i in $(seq 1 $H_LOGINS); do
		[ "$(cat "$H_ROUND/rc/2.$i")" = 0 ] || bad+=("$(h_user $i): $(tail -1 "$H_ROUND/rc/2.$i.out")")
	done
	check "second-round logins failed: ${bad[*]}" [ ${#bad[@]} = 0 ]
	for i in $(seq 1 $H_LOGINS); do
		check "$(h_user $i) got no range in the first round: a second round that changes nothing proves nothing" \
			[ -n "$(range_of "$H_ROUND/subuid.1" "$(h_user $i)")" -a -n "$(range_of "$H_ROUND/subgid.1" "$(h_user $i)")" ]
	done
	check "the second round changed /etc/subuid: $(diff "$H_ROUND/subuid.1" "$H_ROUND/subuid.2" | head -5)" cmp "$H_ROUND/subuid.1" "$H_ROUND/subuid.2"
	check "the second round changed /etc/subgid: $(diff "$H_ROUND/subgid.1" "$H_ROUND/subgid.2" | head -5)" cmp "$H_ROUND/subgid.1" "$H_ROUND/subgid.2"
	check "a lock was left after the second round: $(cat "$H_ROUND/locks.2")" [ ! -s "$H_ROUND/locks.2" ]
}

# ---------------------------------------------------------------- H5: the pam-auth-update profile

# h5_profile: in a private mount namespace over copies of /etc/pam.d,
# /var/lib/pam and /usr/share/pam-configs (the host's are never touched):
# install the profile, enable it, log in through common-session, remove it.
h5_profile() {
	host_begin
	dir_user dom.h5 5001
	set_window "$HOST_WIN_MIN" "$HOST_WIN_MAX"
	local ns=$WORK/h5
	rm -rf "$ns"
	mkdir -p "$ns"
	cp -a /etc/pam.d "$ns/pam.d"
	cp -a /var/lib/pam "$ns/var-lib-pam" 2>/dev/null || mkdir -p "$ns/var-lib-pam"
	cp -a /usr/share/pam-configs "$ns/pam-configs"
	check "devfix host pam-profile --bin $DEVFIX failed" bash -c '"$1" host pam-profile --bin "$1" >"$2"' _ "$DEVFIX" "$ns/profile"
	sed 's/^/  | /' "$ns/profile"
	check "the profile has no pam_exec line running $DEVFIX host grant --pam" \
		grep -qE "pam_exec\.so.* $DEVFIX host grant (.* )?--pam" "$ns/profile"
	check "the profile is not Session-Interactive-Only" grep -qiE '^Session-Interactive-Only:[[:space:]]*yes' "$ns/profile"
	local rc=0 why
	DEBIAN_FRONTEND=noninteractive unshare -m --propagation private bash "$E2E/host.sh" h5-inside "$ns" "$DEVFIX" >"$ns/out" 2>&1 || rc=$?
	sed 's/^/  | /' "$ns/out"
	if [ $rc != 0 ]; then
		why=$(sed -n 's/^FAIL: //p' "$ns/out" | head -1)
		fail "${why:-in the mount namespace: exit $rc}"; return 1
	fi
	check "pam-auth-update in the namespace changed the host's common-session" cmp -s /etc/pam.d/common-session "$HOST_SAVE/pam.d/common-session"
	check "a login through common-session gave dom.h5 no /etc/subuid range" [ -n "$(range_of /etc/subuid dom.h5)" ]
	check "a login through common-session gave dom.h5 no /etc/subgid range" [ -n "$(range_of /etc/subgid dom.h5)" ]
	check "dom.h5's range $(range_of /etc/subuid dom.h5) is below $HOST_WIN_MIN" [ "$(range_of /etc/subuid dom.h5 | cut -d' ' -f1)" -ge "$HOST_WIN_MIN" ]
}

# h5_inside NS DEVFIX: run by h5_profile in its own mount namespace.
h5_inside() {
	local ns=$1 devfix=$2 cs=/etc/pam.d/common-session line n sys unix
	set -e
	mount --bind "$ns/pam.d" /etc/pam.d
	mount --bind "$ns/var-lib-pam" /var/lib/pam
	mount --bind "$ns/pam-configs" /usr/share/pam-configs
	if [ ! -f /usr/share/pam-configs/systemd ]; then
		echo "no pam_systemd profile (libpam-systemd): a stand-in with its priority 0"
		printf 'Name: pam_systemd stand-in\nDefault: yes\nPriority: 0\nSession-Interactive-Only: yes\nSession-Type: Additional\nSession:\n\toptional\tpam_systemd.so\n' \
			>/usr/share/pam-configs/systemd
		pam-auth-update --package --enable systemd
	fi
	cp "$cs" "$ns/common-session.before"
	"$devfix" host pam-profile --install --bin "$devfix" || { echo "FAIL: devfix host pam-profile --install failed"; exit 1; }
	cmp -s /usr/share/pam-configs/devfix "$ns/profile" ||
		{ echo "FAIL: pam-profile --install wrote other bytes than pam-profile prints"; exit 1; }
	pam-auth-update --package --enable devfix
	echo "common-session with the profile enabled:"
	grep -vE '^#|^$' "$cs" | sed 's/^/  /'
	n=$(grep -nE "pam_exec\.so.* $devfix host grant" "$cs" | cut -d: -f1)
	sys=$(grep -nE '^[^#].*pam_systemd\.so' "$cs" | cut -d: -f1)
	unix=$(grep -nE '^session.*pam_unix\.so' "$cs" | head -1 | cut -d: -f1)
	[ -n "$n" ] || { echo "FAIL: pam-auth-update --enable devfix put no devfix line into common-session"; exit 1; }
	[ -n "$sys" ] || { echo "FAIL: no pam_systemd line in common-session to be before"; exit 1; }
	[ "$n" -lt "$sys" ] || { echo "FAIL: the devfix line (line $n) comes after pam_systemd (line $sys)"; exit 1; }
	echo "devfix's line $n is before pam_systemd's line $sys (pam_unix at $unix)"
	grep -q "$devfix" /etc/pam.d/common-session-noninteractive &&
		{ echo "FAIL: the devfix line is in common-session-noninteractive"; exit 1; }
	grep -qx devfix /var/lib/pam/seen || { echo "FAIL: /var/lib/pam/seen does not list devfix"; exit 1; }

	# A login as sshd runs it: the service includes common-session.
	printf 'auth\trequired\tpam_permit.so\naccount\trequired\tpam_permit.so\n@include common-session\n' >/etc/pam.d/devfix-e2e-h5
	pamtester devfix-e2e-h5 dom.h5 open_session || { echo "FAIL: a login through common-session failed"; exit 1; }

	pam-auth-update --package --remove devfix
	grep -q "$devfix" "$cs" && { echo "FAIL: pam-auth-update --remove devfix left the line in common-session"; exit 1; }
	if cmp -s "$cs" "$ns/common-session.before"; then
		echo "--remove gave back the same common-session"
	else
		echo "note: common-session after --remove differs from before:"; diff "$ns/common-session.before" "$cs" || true
	fi
	rm -f /usr/share/pam-configs/devfix
}

# ---------------------------------------------------------------- H6: host check on a seeded host

# hc_find JSON JQ-FILTER: the checks (not ok) the filter selects, as
# "status name: detail" lines; exit 1 when none.
hc_find() {
	jq -e -r "[.checks[] | select(.status != \"ok\" and .status != \"info\") | select($2)] | if length == 0 then false else .[] | \"\(.status) \(.name): \(.detail)\" end" "$1"
}
# hc_text: the name, detail and fix of a check, for matching.
HC_TEXT='((.name // "") + " " + (.detail // "") + " " + (.fix // ""))'

h6_seeded() {
	host_begin
	local u id n out rc
	for u in a:6001 b:6002 i:6003 c:6004 d:6005 m:6006; do dir_user "dom.h6${u%%:*}" "${u#*:}"; done
	sssd_ad
	set_window "$HOST_WIN_MIN" "$HOST_WIN_MAX"
	getent group docker >/dev/null || groupadd -r docker
	# The users who set up Podman (m) or Docker (d) have a store in their home.
	install -d -o "$(id -u dom.h6m)" "/home/dom.h6m/.local" "/home/dom.h6m/.local/share" "/home/dom.h6m/.local/share/containers"
	install -d -o "$(id -u dom.h6d)" "/home/dom.h6d/.local" "/home/dom.h6d/.local/share" "/home/dom.h6d/.local/share/docker"
	out=$("$DEVFIX" host grant dom.h6a dom.h6c dom.h6d dom.h6m 2>&1) || { fail "devfix host grant failed for the users of the clean host: $out"; return 1; }

	# The clean host: none of the problems below is named.
	out=$("$DEVFIX" host check --format json 2>"$WORK/exec.err") && rc=0 || rc=$?
	echo "$out" >"$WORK/h6.clean.json"
	check "host check on the clean host: exit $rc, not 0 or 1: $(tail -1 "$WORK/exec.err")" [ $rc = 0 -o $rc = 1 ]
	check "host check --format json printed no JSON with checks[]" jq -e '.checks | type == "array" and length > 0' "$WORK/h6.clean.json" >/dev/null
	echo "  the clean host (exit $rc), what is not ok:"
	jq -r '.checks[] | select(.status != "ok") | "  | \(.status) \(.name): \(.detail)"' "$WORK/h6.clean.json"
	h6_names "$WORK/h6.clean.json" none || return 1

	# Seed the problems.
	local a_start a_line
	read -r a_start _ <<<"$(range_of /etc/subuid dom.h6a)"
	echo "dom.h6b:$((a_start + 1000)):65536" | tee -a /etc/subuid >>/etc/subgid   # overlaps dom.h6a
	echo "dom.h6i:300000:65536" | tee -a /etc/subuid >>/etc/subgid                # inside SSSD's 200000-2000200000
	getent passwd dom.h6c >>/etc/passwd                                          # a copied directory user
	gpasswd -a dom.h6d docker >/dev/null                                         # root-equivalent
	sed -i '/^dom\.h6m:/d' /etc/subuid /etc/subgid                               # Podman store, no range
	echo "dom.h6x 2147483648 65536" >>/etc/subuid                                # malformed
	H6_BAD_LINE=$(wc -l </etc/subuid)
	out=$("$DEVFIX" host check --format json 2>"$WORK/exec.err") && rc=0 || rc=$?
	echo "$out" >"$WORK/h6.seeded.json"
	check "host check on the seeded host: exit $rc, not 1: $(tail -1 "$WORK/exec.err")" [ $rc = 1 ]
	check "host check --format json printed no JSON with checks[] on the seeded host" jq -e '.checks | type == "array"' "$WORK/h6.seeded.json" >/dev/null
	echo "  the seeded host (exit $rc), what is not ok:"
	jq -r '.checks[] | select(.status != "ok") | "  | \(.status) \(.name): \(.detail)"' "$WORK/h6.seeded.json"
	h6_names "$WORK/h6.seeded.json" all
	# The text format names them too.
	out=$("$DEVFIX" host check 2>&1) && rc=0 || rc=$?
	for u in dom.h6a dom.h6b dom.h6i dom.h6c dom.h6d dom.h6m "/etc/subuid:$H6_BAD_LINE"; do
		check "host check (text) does not name $u: $out" grep -qF "$u" <<<"$out"
	done
	# host grant refuses to write beside the malformed line: path:LINE, exit 2, nothing written.
	cat /etc/subuid /etc/subgid >"$WORK/h6.before"
	out=$("$DEVFIX" host grant dom.h6b 2>&1) && rc=0 || rc=$?
	check "host grant beside a malformed /etc/subuid line: exit $rc, not 2: $out" [ $rc = 2 ]
	check "host grant beside a malformed line does not say /etc/subuid:$H6_BAD_LINE: $out" grep -qF "/etc/subuid:$H6_BAD_LINE: " <<<"$out"
	check "host grant beside a malformed line says more than one line: $out" [ "$(wc -l <<<"$out")" = 1 ]
	check "host grant beside a malformed line wrote something" cmp -s "$WORK/h6.before" <(cat /etc/subuid /etc/subgid)
	echo "  host grant beside it: exit 2: $out"
}

# h6_names JSON all|none: each seeded problem is named (all) or none is (none).
h6_names() {
	local j=$1 want=$2 what filter got missing=() extra=()
	while IFS='%' read -r what filter; do
		if got=$(hc_find "$j" "$filter"); then
			[ "$want" = all ] && echo "  $what: $(head -1 <<<"$got")"
			[ "$want" = none ] && extra+=("$what ($(head -1 <<<"$got"))")
		else
			[ "$want" = all ] && missing+=("$what")
		fi
	done <<-EOF
	overlapping ranges (dom.h6a, dom.h6b)%.name == "subid-overlap" and .status == "fail" and ($HC_TEXT | contains("dom.h6a") and contains("dom.h6b"))
	a range inside SSSD's ID mapping (dom.h6i)%.name == "subid-real-ids" and .status == "fail" and ($HC_TEXT | contains("dom.h6i") and test("sssd|id.?map|corp\\\\.example\\\\.com"; "i"))
	a copied passwd line (dom.h6c)%.name == "passwd-copy" and ($HC_TEXT | contains("dom.h6c"))
	a docker group member (dom.h6d)%.name == "docker-group" and ($HC_TEXT | contains("dom.h6d"))
	missing ranges (dom.h6m)%.name == "engine-no-range" and ($HC_TEXT | contains("dom.h6m"))
	a malformed line (/etc/subuid:${H6_BAD_LINE:-0})%.name == "subid-file" and .status == "fail" and ($HC_TEXT | test("subuid:${H6_BAD_LINE:-0}\\\\b|subuid.*line ${H6_BAD_LINE:-0}\\\\b"))
	EOF
	case $want in
	all) check "host check did not name: $(IFS=';'; echo "${missing[*]}")" [ ${#missing[@]} = 0 ] ;;
	none) check "host check named on the clean host: $(IFS=';'; echo "${extra[*]}")" [ ${#extra[@]} = 0 ] ;;
	esac
}

# `bash host.sh h5-inside NS DEVFIX`: the part of H5 inside the namespace.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = h5-inside ]; then
	h5_inside "$2" "$3"
fi
