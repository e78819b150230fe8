//go:build !linux

package engine

import "net"

// peerCred is Linux-only (SO_PEERCRED); elsewhere rootlessness comes from
// the daemon's /info.
func peerCred(net.Conn) (uid, pid int, err error) { return -1, 0, errNoPeerCred }
