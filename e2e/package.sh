# Scenarios P1–P5: the packages, sourced by run.sh. `make dist` builds the
# .deb and .rpm once per run (in $WORK/dist); each scenario installs the
# .deb itself and purges it on the way out, so each can run alone. Every
# install and removal runs in a private mount namespace over copies of
# /etc/pam.d, /var/lib/pam and /usr/share/pam-configs (the package's prerm
# runs pam-auth-update, and its profile lands in the copy): the host's PAM
# stack is never edited. /etc/subuid and /etc/subgid (and their "-"
# backups) are put back as they were.

PKG_DIST=$WORK/dist
PAM_LOG=/var/log/devfix-pam.log

# package_deps: what these scenarios need from Debian (make dist-deps).
package_deps() {
	PATH=/usr/local/go/bin:$PATH make -C "$REPO" --no-print-directory dist-deps
}

# dist: make dist into $PKG_DIST, once per run; sets DEB (this machine's
# .deb), RPM (its .rpm) and PKG_VERSION (the version make gave them).
dist() {
	local arch
	arch=$(dpkg --print-architecture)
	if [ ! -f "$PKG_DIST/SHA256SUMS" ]; then
		log "building the packages (make dist)"
		PATH=/usr/local/go/bin:$PATH make -C "$REPO" --no-print-directory dist DIST="$PKG_DIST" >"$WORK/dist.log" 2>&1 ||
			{ tail -20 "$WORK/dist.log"; fail "make dist failed"; return 1; }
	fi
	DEB=$(ls "$PKG_DIST"/devfix_*_"$arch".deb)
	RPM=$(ls "$PKG_DIST"/devfix-*."$(uname -m)".rpm)
	PKG_VERSION=$(dpkg-deb -f "$DEB" Version)
}

# purge_devfix: the package gone, as after a failed scenario. Its prerm
# runs pam-auth-update, so the purge too runs over copies of the PAM files.
purge_devfix() {
	if dpkg-query -W devfix >/dev/null 2>&1; then in_pam_ns purge_inside || true; fi
	rm -f "$PAM_LOG"
}
purge_inside() { dpkg -P devfix >/dev/null 2>&1 || true; }

# keep_subids / restore_subids: /etc/subuid, /etc/subgid and shadow's "-"
# backups as they were (grant writes all four).
keep_subids() {
	local f
	mkdir -p "$WORK/subids"
	for f in subuid subgid subuid- subgid-; do
		if [ -e "/etc/$f" ]; then cp -a "/etc/$f" "$WORK/subids/$f"; else rm -f "$WORK/subids/$f"; touch "$WORK/subids/$f.absent"; fi
	done
}
restore_subids() {
	local f
	for f in subuid subgid subuid- subgid-; do
		if [ -e "$WORK/subids/$f.absent" ]; then rm -f "/etc/$f" "$WORK/subids/$f.absent"; else cp -a "$WORK/subids/$f" "/etc/$f"; fi
	done
}

# in_pam_ns FUNC: run FUNC (a function of these files) as root in a private
# mount namespace where /etc/pam.d, /var/lib/pam and /usr/share/pam-configs
# are fresh copies of the host's.
in_pam_ns() {
	local d=$WORK/pamns
	rm -rf "$d"
	mkdir -p "$d"
	cp -a /etc/pam.d "$d/pam.d"
	cp -a /var/lib/pam "$d/varlibpam"
	cp -a /usr/share/pam-configs "$d/pam-configs"
	unshare -m --propagation private -- bash -c "
		set -euo pipefail
		mount --bind '$d/pam.d' /etc/pam.d
		mount --bind '$d/varlibpam' /var/lib/pam
		mount --bind '$d/pam-configs' /usr/share/pam-configs
		$(declare -f)
		$(declare -p WORK E2E REPO DEVFIX DOM_USER DOM_UID DEB RPM PKG_VERSION PKG_DIST PAM_LOG T0 2>/dev/null)
		$1"
}

# P1: make dist's artefacts; the .deb passes lintian, installs, and its
# man pages render; the .rpm lists the same files. (Installing touches no
# PAM file; removing does, and purge_devfix does it over copies.)
p1_dist() {
	dist
	check "SHA256SUMS does not match the artefacts" bash -c "cd '$PKG_DIST' && sha256sum --quiet -c SHA256SUMS"
	local f
	for f in "$PKG_DIST"/devfix-linux-amd64 "$PKG_DIST"/devfix-linux-arm64; do
		check "$f is not a static ELF binary: $(file -b "$f")" grep -q 'statically linked' <<<"$(file -b "$f")"
	done
	check "the arm64 binary is not for aarch64" grep -q 'ARM aarch64' <<<"$(file -b "$PKG_DIST/devfix-linux-arm64")"
	# lintian: no errors, on each .deb (warnings are printed).
	for f in "$PKG_DIST"/*.deb; do
		lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs "$f" >"$WORK/lintian.log" 2>&1 ||
			{ cat "$WORK/lintian.log"; fail "lintian found errors in $(basename "$f")"; return 1; }
		echo "lintian $(basename "$f"): no errors$(grep -c '^W:' "$WORK/lintian.log" | sed 's/^0$//; s/.\+/, & warnings/')"
	done
	# The rpm, read with Debian's rpm: the same files as the .deb.
	rpm -qlp "$RPM" 2>/dev/null | sort >"$WORK/rpm.list"
	# (Debian's own: the changelog and the lintian overrides.)
	dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' |
		grep -v -e '^/usr/share/lintian/' -e '/changelog.Debian.gz$' | sort >"$WORK/deb.list"
	check "the .rpm holds other files than the .deb: $(diff "$WORK/deb.list" "$WORK/rpm.list" | grep '^[<>]' | tr '\n' ' ')" \
		diff -q "$WORK/deb.list" "$WORK/rpm.list"
	for f in /usr/bin/devfix /usr/share/man/man1/devfix-lint.1.gz /usr/share/pam-configs/devfix /usr/share/doc/devfix/copyright; do
		check "rpm -qlp does not list $f" grep -qx "$f" "$WORK/rpm.list"
	done
	echo "rpm -qlp $(basename "$RPM"): $(wc -l <"$WORK/rpm.list") files"

	purge_devfix
	trap purge_devfix EXIT
	in_pam_ns p1_installed
}
p1_installed() {
	dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i $(basename "$DEB") failed"; return 1; }
	local v
	v=$(/usr/bin/devfix version)
	echo "$v"
	check "devfix version does not name ${PKG_VERSION%-1} and the revision: $v" \
		test "$v" = "devfix ${PKG_VERSION%-1} ($(git -C "$REPO" rev-parse HEAD))"
	local page
	for page in devfix devfix-lint devfix-host-grant; do
		MANWIDTH=80 man "$page" >"$WORK/man.txt" 2>"$WORK/man.err" || { fail "man $page: $(cat "$WORK/man.err")"; return 1; }
		check "man $page warns: $(cat "$WORK/man.err")" test ! -s "$WORK/man.err"
		check "man $page does not render its NAME" grep -qE "^ +$page +- " "$WORK/man.txt"
		[ "$page" != devfix-lint ] || check "man devfix-lint lacks --strategy" grep -q -- '--strategy' "$WORK/man.txt"
	done
	check "the PAM profile is not the one devfix host pam-profile prints" \
		diff -q /usr/share/pam-configs/devfix <(/usr/bin/devfix host pam-profile --bin /usr/bin/devfix)
	check "the installed profile is enabled by default" grep -qx 'Default: no' /usr/share/pam-configs/devfix
	check "installing enabled the PAM profile" test -z "$(grep -l devfix /etc/pam.d/common-* 2>/dev/null)"
	echo "installed $(basename "$DEB"); man devfix, devfix-lint and devfix-host-grant render"
	dpkg -P devfix >/dev/null
}

# P2: completion from the system folders: bash's function, loaded the way
# an interactive bash loads it, completes `devfix li<TAB>` to lint; fish and
# zsh read the folders the files are in.
p2_completion() {
	dist
	purge_devfix
	trap purge_devfix EXIT
	in_pam_ns p2_installed
}
p2_installed() {
	dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log"; fail "dpkg -i failed"; return 1; }
	local got
	got=$(bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		_completion_loader devfix    # what bash runs at the first TAB on devfix
		fn=$(complete -p devfix | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || { echo "no completion function for devfix" >&2; exit 1; }
		COMP_WORDS=(devfix li); COMP_CWORD=1; COMP_LINE="devfix li"; COMP_POINT=${#COMP_LINE}
		"$fn" devfix li devfix
		printf "%s\n" "${COMPREPLY[@]}"
		COMP_WORDS=(devfix host g); COMP_CWORD=2; COMP_LINE="devfix host g"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
		"$fn" devfix g host
		printf "host:%s\n" "${COMPREPLY[@]}"')
	echo "bash: devfix li<TAB> -> $(head -1 <<<"$got"); devfix host g<TAB> -> $(sed -n 's/^host://p' <<<"$got")"
	check "bash completion of 'devfix li' is not exactly lint: $got" test "$(grep -v '^host:' <<<"$got")" = lint
	check "bash completion of 'devfix host g' is not grant: $got" grep -qx 'host:grant' <<<"$got"
	# (fish with its own config, which sets the vendor folders, but an empty
	# home, in an empty folder: no file name matches.)
	mkdir -p "$WORK/p2home" "$WORK/p2empty"
	got=$(cd "$WORK/p2empty" && HOME=$WORK/p2home fish -c 'complete -C "devfix li"' 2>&1 | cut -f1)
	check "fish completion of 'devfix li' is not lint: $got" test "$got" = lint
	check "zsh's fpath lacks /usr/share/zsh/vendor-completions" grep -qx /usr/share/zsh/vendor-completions <<<"$(zsh -fc 'print -l $fpath')"
	check "the zsh completion is not a #compdef file" grep -qx '#compdef devfix' /usr/share/zsh/vendor-completions/_devfix
	dpkg -P devfix >/dev/null
}

# P3 (in the namespace): pam-auth-update --enable devfix puts the session
# line before pam_unix's; a pamtester session of the directory user runs it
# and the user gets a range in both files.
p3_pam_inside() {
	dpkg -i "$DEB" >/dev/null
	DEBIAN_FRONTEND=noninteractive pam-auth-update --enable devfix
	local cs=/etc/pam.d/common-session
	grep -q 'pam_exec.so .*/usr/bin/devfix host grant --pam' "$cs" || { echo "no devfix line in $cs" >&2; cat "$cs" >&2; exit 1; }
	local dl ul
	dl=$(grep -n '/usr/bin/devfix' "$cs" | head -1 | cut -d: -f1)
	ul=$(grep -n 'pam_unix.so' "$cs" | head -1 | cut -d: -f1)
	[ "$dl" -lt "$ul" ] || { echo "the devfix line ($dl) is not before pam_unix ($ul)" >&2; exit 1; }
	if grep -q devfix /etc/pam.d/common-session-noninteractive; then echo "enabled for non-interactive sessions too" >&2; exit 1; fi
	printf 'auth required pam_permit.so\naccount required pam_permit.so\n@include common-session\n' >/etc/pam.d/devfix-e2e
	pamtester -v devfix-e2e "$DOM_USER" open_session close_session
	dpkg -r devfix >/dev/null
	if grep -q devfix "$cs"; then echo "dpkg -r left the devfix line in $cs" >&2; exit 1; fi
}
p3_pam() {
	dist
	make_domain_user
	keep_subids
	purge_devfix
	trap 'restore_subids; purge_devfix; remove_domain_user' EXIT
	if grep -q "^$DOM_USER:" /etc/subuid /etc/subgid; then fail "$DOM_USER has a range before the login"; return 1; fi
	in_pam_ns p3_pam_inside >"$WORK/p3.log" 2>&1 || { tail -15 "$WORK/p3.log"; fail "the PAM session in the namespace failed"; return 1; }
	grep -E 'successfully|devfix' "$WORK/p3.log" | head -4
	local u g
	u=$(grep "^$DOM_USER:" /etc/subuid || true)
	g=$(grep "^$DOM_USER:" /etc/subgid || true)
	check "the session gave $DOM_USER no subuid range (log: $(cat "$PAM_LOG" 2>/dev/null))" test -n "$u"
	check "the session gave $DOM_USER no subgid range" test -n "$g"
	check "$DOM_USER's range is not 65536 IDs: $u" test "${u##*:}" = 65536
	echo "pamtester session of $DOM_USER (UID $DOM_UID): /etc/subuid $u, /etc/subgid $g"
	check "the host's common-session was touched" test -z "$(grep -l devfix /etc/pam.d/common-* 2>/dev/null)"
}

# P4 (in the namespace): install, enable, upgrade (the PAM line stays),
# remove (the line goes), purge (the log goes): no file left that was not
# there before, none missing.
p4_inside() {
	local snap="find /usr /etc /var/lib/pam /var/log -xdev ( -path /var/log/journal -prune -o -path /etc/ld.so.cache -prune ) -o -print"
	$snap | sort >"$WORK/p4.before"
	dpkg -i "$DEB" >/dev/null
	DEBIAN_FRONTEND=noninteractive pam-auth-update --enable devfix
	grep -q /usr/bin/devfix /etc/pam.d/common-session || { echo "not enabled" >&2; exit 1; }
	echo "a line pam_exec logged" >"$PAM_LOG"
	dpkg -i "$WORK/up/$(basename "$UP_DEB")" >/dev/null
	[ "$(dpkg-query -W -f='${Version}' devfix)" = "$UP_VERSION" ] || { echo "the upgrade did not happen" >&2; exit 1; }
	grep -q /usr/bin/devfix /etc/pam.d/common-session || { echo "the upgrade took the PAM line out" >&2; exit 1; }
	dpkg -r devfix >/dev/null
	if grep -rq devfix /etc/pam.d; then echo "dpkg -r left devfix in /etc/pam.d: $(grep -rl devfix /etc/pam.d)" >&2; exit 1; fi
	[ -e /usr/share/pam-configs/devfix ] && { echo "dpkg -r left the profile" >&2; exit 1; }
	[ -e "$PAM_LOG" ] || { echo "dpkg -r removed the log (only purge should)" >&2; exit 1; }
	dpkg -P devfix >/dev/null
	$snap | sort >"$WORK/p4.after"
	# pam-auth-update records what it saw; dpkg's own files are not ours.
	if ! diff "$WORK/p4.before" "$WORK/p4.after" | grep '^[<>]' | grep -v -e ' /var/lib/dpkg/' -e ' /var/log/dpkg.log' -e ' /var/log/apt/' >"$WORK/p4.diff"; then :; fi
	[ ! -s "$WORK/p4.diff" ] || { echo "files left or lost: $(tr '\n' ' ' <"$WORK/p4.diff")" >&2; exit 1; }
}
p4_lifecycle() {
	dist
	purge_devfix
	trap purge_devfix EXIT
	# The upgrade: the same files under a higher version, packed again by
	# the nfpm make dist built.
	UP_VERSION="${PKG_VERSION%-1}+e2eup-1"
	mkdir -p "$WORK/up"
	(cd "$PKG_DIST/stage" && PKG_ARCH=$(dpkg --print-architecture) PKG_VERSION="${UP_VERSION%-1}" MAINTAINER="devfix e2e <e2e@example.com>" \
		./nfpm package --config nfpm.yaml --packager deb --target "$WORK/up/") >/dev/null || { fail "packing the upgrade failed"; return 1; }
	UP_DEB=$(ls "$WORK"/up/*.deb)
	export UP_DEB UP_VERSION
	in_pam_ns "$(declare -p UP_DEB UP_VERSION); p4_inside" >"$WORK/p4.log" 2>&1 || { tail -8 "$WORK/p4.log"; fail "install/upgrade/remove/purge: $(tail -1 "$WORK/p4.log")"; return 1; }
	check "dpkg still lists devfix" test -z "$(dpkg-query -W -f='${Status}' devfix 2>/dev/null | grep installed)"
	echo "$PKG_VERSION installed, PAM enabled, upgraded to $UP_VERSION (line kept), removed (line gone), purged (log gone); no stray files"
}

# P5: the playbook of docs/fleet.md, run against this machine: green on a
# clean host (it installs the .deb and grants the directory user a range),
# red on a host seeded with an overlapping range. The lab has rootful
# Docker enabled (docker.io), which host check rightly fails: the clean host
# is this one with rootful Docker disabled, as the admin does
# (`systemctl disable docker.service docker.socket`), in a private mount
# namespace over a copy of /etc/systemd/system (and, as everywhere here,
# of the PAM files: the package is installed and purged in there).
p5_fleet() {
	dist
	make_domain_user
	keep_subids
	purge_devfix
	trap 'restore_subids; purge_devfix; remove_domain_user' EXIT
	local d=$WORK/p5ns
	rm -rf "$d"
	cp -a /etc/systemd/system "$d"
	find "$d" -path '*.wants/docker.*' -delete
	in_pam_ns p5_inside >"$WORK/p5.log" 2>&1 || { tail -25 "$WORK/p5.log"; [ -s "$WORK/reason" ] || fail "$(tail -1 "$WORK/p5.log")"; return 1; }
	cat "$WORK/p5.log"
}
p5_inside() {
	mount --bind "$WORK/p5ns" /etc/systemd/system
	awk '/^```yaml$/ { on = 1; next } /^```$/ { on = 0 } on' "$REPO/docs/fleet.md" >"$WORK/devfix.yml"
	check "docs/fleet.md has no playbook" grep -q 'ansible.builtin.apt' "$WORK/devfix.yml"
	# (Already root here, with no sudo to become it: ansible_become=false.)
	local play=(ansible-playbook -c local -i localhost, "$WORK/devfix.yml" -e ansible_become=false
		-e "devfix_deb=$DEB" -e "{\"devfix_users\": [\"$DOM_USER\"]}")
	ANSIBLE_NOCOLOR=1 "${play[@]}" >"$WORK/p5.green.log" 2>&1 || { tail -25 "$WORK/p5.green.log"; fail "the playbook failed on the clean host"; return 1; }
	grep -E '^(ok|changed|failed):|PLAY RECAP|localhost +:' "$WORK/p5.green.log" | tail -3
	check "the playbook did not install devfix" test -x /usr/bin/devfix
	check "the playbook gave $DOM_USER no range" grep -q "^$DOM_USER:" /etc/subuid
	# A second run grants nothing new.
	cp /etc/subuid "$WORK/p5.subuid"
	ANSIBLE_NOCOLOR=1 "${play[@]}" >"$WORK/p5.again.log" 2>&1 || { tail -15 "$WORK/p5.again.log"; fail "the second run failed"; return 1; }
	check "the second run changed /etc/subuid" cmp -s /etc/subuid "$WORK/p5.subuid"
	# Seed an overlap: another user on the directory user's range.
	local start
	start=$(grep "^$DOM_USER:" /etc/subuid | head -1 | cut -d: -f2)
	echo "devfixoverlap:$((start + 1000)):65536" >>/etc/subuid
	if ANSIBLE_NOCOLOR=1 "${play[@]}" >"$WORK/p5.red.log" 2>&1; then fail "the playbook passed on a host with an overlapping range"; return 1; fi
	check "the red run did not fail at the host check" grep -q 'Fail the host on any failed check' <<<"$(grep -B3 'FAILED!' "$WORK/p5.red.log")"
	grep -o '"msg": .*' "$WORK/p5.red.log" | head -1 | cut -c1-200
	dpkg -P devfix >/dev/null
}
