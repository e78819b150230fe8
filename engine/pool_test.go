package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/internal/imagefacts"
)

// Docker is reached at the endpoint discovery finds, once for every
// question of the run; each answer is asked for once.
func TestPoolDockerConnectsOnce(t *testing.T) {
	eng := enginetest.Start(t, enginetest.Config{Rootless: true, TCP: true, Images: map[string]enginetest.Image{
		"img:1": {ID: "sha256:aaaa", User: "vscode", Files: map[string]string{"/etc/passwd": "vscode:x:1000:1000::/home/vscode:/bin/sh\n"}},
	}})
	p := &Pool{Discovery: memDiscovery(map[string]string{"DOCKER_HOST": eng.Host}, nil)}
	if p.Get(Docker) != p.Get(Docker) || p.Get(Docker) == p.Get(Podman) {
		t.Fatal("Get must give one connection per kind")
	}
	ctx := context.Background()
	for range 2 {
		img, err := p.Get(Docker).InspectImage(ctx, "img:1")
		if err != nil || img.ID != "sha256:aaaa" || img.User != "vscode" {
			t.Fatalf("inspect: %+v, %v", img, err)
		}
		pw, err := p.Get(Docker).ReadImageFile(ctx, "img:1", "/etc/passwd")
		if err != nil || !strings.HasPrefix(string(pw), "vscode:") {
			t.Fatalf("passwd: %q, %v", pw, err)
		}
	}
	facts, err := p.Get(Docker).DaemonFacts(ctx)
	if err != nil || !facts.Rootless {
		t.Errorf("daemon facts: %+v, %v", facts, err)
	}
	req := eng.Requests()
	if req["/_ping"] != 1 || req["/images/json"] != 1 || req["/containers/create"] != 1 {
		t.Errorf("requests %v: want one ping, one inspect, one create", req)
	}
}

// Podman without its service is asked through its CLI; with neither, the
// error says no engine is reachable (lint then reports unknown, not fail).
func TestPoolPodmanCLIOrNothing(t *testing.T) {
	cli := &enginetest.PodmanCLI{Images: map[string]enginetest.Image{"localhost/box": {ID: "sha256:bbbb", User: "vscode"}}}
	p := &Pool{Discovery: memDiscovery(nil, nil), Run: cli.Run,
		LookPath: func(name string) (string, error) { return "/usr/bin/" + name, nil }}
	img, err := p.Get(Podman).InspectImage(context.Background(), "box")
	if err != nil || img.ID != "sha256:bbbb" {
		t.Fatalf("inspect through the CLI: %+v, %v", img, err)
	}
	if calls := cli.Calls(); len(calls) != 1 || calls[0][0] != "/usr/bin/podman" {
		t.Errorf("calls: %q", calls)
	}
	if _, err := p.Get(Podman).Daemon(context.Background()); err == nil {
		t.Error("Daemon: want an error, no API service runs")
	}

	none := &Pool{Discovery: memDiscovery(nil, nil)}
	var ne *imagefacts.NoEngineError
	if _, err := none.Get(Podman).InspectImage(context.Background(), "box"); !errors.As(err, &ne) || !strings.Contains(ne.Reason, "no podman on PATH") {
		t.Errorf("no engine: %v", err)
	}
}
