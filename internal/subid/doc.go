// Package subid holds the subordinate ID files /etc/subuid and /etc/subgid:
// parsed keeping every byte (comments, blank lines, order), ranges with their
// owner (a name or a numeric UID), overlaps, the one allocator (lowest free
// start, as shadow's find_free_range, but outside every ID the host can hand
// out) and the writer that appends under shadow's locks (lckpwdf's fcntl
// lock on /etc/.pwd.lock, then the /etc/subuid.lock link lock), never
// rewriting a byte that is there.
//
// It also reads the inputs of allocation: login.defs (SUB_UID_*, SUB_GID_*,
// UID_MIN), sssd.conf and its conf.d (each domain's ID range: ID mapping's
// ldap_idmap_range_min..max, or min_id..max_id; a domain of POSIX IDs
// without max_id is unbounded and said so), /etc/passwd and /etc/group (the
// local IDs), and nsswitch.conf's "subid:" source (a module there means no
// program reads the files).
//
// Every read goes through an afero.Fs, so the pure parts run on a memory
// filesystem; the writer (linux) needs the real one for its locks. Names
// come from NSS through getent, run by argv: nothing here knows of the CLI,
// of PAM or of devcontainer.json.
package subid
