#!/usr/bin/env bash
# End-to-end tests of devfix on real engines — a rootless dockerd, a rootful
# one beside it, rootless Podman, Docker Compose — with the reference Dev
# Containers CLI (../shared/LAB.md has the recipe and quirks).
#
# Runs as root on Debian; installs what it needs itself, every time
# (idempotent); creates test users (a rootless Docker user with its daemon, a
# Podman user, an NSS-only domain user); cleans everything up on exit, so it
# can run again. Each scenario prints PASS or FAIL (with why and a log tail).
# Exit 1 if any FAILs.
#
#   DEVFIX_BIN=/path/devfix   test that binary instead of building the repo
#   E2E_ONLY="1 A2 B1"        run only these scenarios (set-up runs whole)
#
# The pinned versions and the test users are set in lib.sh.
set -euo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E/.." && pwd)
WORK=$(mktemp -d /tmp/devfix-e2e.XXXXXX)  # per run; removed on exit
chmod 755 "$WORK"
DEVFIX=$WORK/bin/devfix
ROOTFUL_SOCK=$WORK/rootful/docker.sock
T0=$(date +%s)

. "$E2E/lib.sh"
. "$E2E/docker.sh"
. "$E2E/podman.sh"
. "$E2E/compose.sh"
. "$E2E/vscode.sh"
. "$E2E/host.sh"
. "$E2E/package.sh"

[ "$(id -u)" = 0 ] || die "must run as root (it creates users and starts daemons); in CI it does"
command -v apt-get >/dev/null || die "needs a Debian machine (apt-get)"

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
	remove_docker_sock_link
	host_cleanup   # before remove_domain_user: it puts back nsswitch.conf last
	remove_user "$E2E_USER"
	remove_user "$POD_USER"
	remove_domain_user
	[ -n "$TUN_MODE" ] && chmod "$TUN_MODE" /dev/net/tun
	umount -R "$WORK/rootful/exec" 2>/dev/null
	rm -rf "$WORK" 2>/dev/null
	[ -z "$SUMMARY" ] || echo "$SUMMARY"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT   # so that cleanup runs when CI cancels the job
trap 'exit 143' TERM

install_packages
package_deps
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
scenario D "the cache of image facts follows the image, not its tag; an image seen before makes no container" d_cache
scenario 8 "pre-commit hooks (devfix, devfix-fix) with Debian's pre-commit on a sample repository" s8_precommit
scenario A1 "rootless Podman, a regular user: the seed works before and after apply, as vscode" pa1_regular
scenario A2 "rootless Podman, a domain user (UID $DOM_UID): the seed fails before; keep-id:uid=1000 after apply" pa2_domain
scenario A3 "--strategy env with --userns from DEVFIX_USERNS: one file for rootful Docker, rootless Docker and Podman" pa3_env
scenario A4 "rootless Podman by its CLI: an image seen before runs no podman process; a moved tag is seen" pa4_names
scenario B1 "Docker Compose on rootless: a user: vscode service with a docker.sock volume; root after apply, socket rewritten" cb1_root
scenario B2 "Docker Compose, --strategy env: DEVFIX_DOCKER_SOCKET in the YAML; rootless with shellenv, rootful without" cb2_env
scenario C "shellenv --install writes VS Code's settings (JSONC kept); doctor warns about a VS Code server to restart" c_vscode
scenario H1 "host grant: a directory user (no passwd line) gets a range at 2^31 beside SSSD; its rootless Podman and Docker run the seed" h1_granted
scenario H2 "$H_LOGINS directory users log in at once through pam_exec (host grant --pam): distinct ranges, no overlap, no lock left" h2_logins
scenario H3 "usermod --add-subuids beside the logins: every range it reported done is still there; devfix allocates around it" h3_shadow
scenario H4 "a second round of the same logins changes no byte of /etc/subuid or /etc/subgid" h4_again
scenario H5 "host pam-profile: pam-auth-update --enable puts it before pam_systemd in common-session, a login gets a range, --remove takes it out" h5_profile
scenario H6 "host check --format json names each seeded problem, and none of them on the clean host" h6_seeded
scenario P1 "make dist: static binaries and SHA256SUMS; the .deb passes lintian, installs, its man pages render; rpm -qlp lists the same files" p1_dist
scenario P2 "completion from the system folders: bash completes devfix li<TAB> to lint; fish and zsh read the files" p2_completion
scenario P3 "pam-auth-update --enable devfix, then a pamtester session grants the directory user a range (private mount namespace)" p3_pam
scenario P4 "install, enable PAM, upgrade (line kept), remove (line gone), purge (log gone): no stray files" p4_lifecycle
scenario P5 "docs/fleet.md's playbook (-c local): green on a clean host, red with an overlapping range" p5_fleet

echo
log "e2e finished"
# The summary is the last line, printed after the clean-up (see cleanup).
SUMMARY="$passed passed, $failed failed"
[ "$failed" = 0 ]
