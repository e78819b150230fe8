// Command sockprobe asks the Docker Engine API behind a unix socket for /info
// and prints the daemon's ID and whether it is rootless. The e2e tests build
// it static and run it inside a dev container, to prove which daemon a
// bind-mounted socket reaches (the busybox image has no docker client).
//
//	sockprobe [SOCKET]   (default /var/run/docker.sock)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"time"
)

func main() {
	sock := "/var/run/docker.sock"
	if len(os.Args) > 1 {
		sock = os.Args[1]
	}
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}},
	}
	resp, err := client.Get("http://docker/info")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockprobe:", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	var info struct {
		ID              string
		SecurityOptions []string
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "sockprobe: %s: %v\n", resp.Status, err)
		os.Exit(1)
	}
	fmt.Printf("%s rootless=%t\n", info.ID, slices.Contains(info.SecurityOptions, "name=rootless"))
}
