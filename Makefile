# devfix — make targets. Every target installs what it needs (Go modules via
# the module proxy); `make e2e` and `make speed` also install Debian and npm
# packages (root).

GO      ?= go
BIN     := bin/devfix
PKGS    := ./...

.PHONY: all build test vet fuzz bench speed demo e2e docs clean

all: build

# A static binary (no cgo): one file to copy onto a shared host.
build:
	$(GO) mod download
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN) ./cmd/devfix

# go vet over every package.
vet:
	$(GO) mod download
	$(GO) vet $(PKGS)

# All unit, golden, corpus and CLI tests plus go vet; passes as any user.
test: vet
	$(GO) test -count=1 $(PKGS)

# Each fuzz target in turn (the long run: make fuzz FUZZTIME=5m).
FUZZTIME ?= 30s
FUZZ_TARGETS := ./devcontainer:FuzzLintApply ./mounts:FuzzParseMountString \
	./devcontainer/internal/compose:FuzzLoad ./internal/vscode:FuzzInstallUninstall \
	./internal/subid:FuzzGrant
fuzz:
	$(GO) mod download
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# In-process benchmarks, each reported as a ratio against a baseline in the
# same run: lint of the whole corpus against the parse floor; a compose
# config against an image config; a `host grant --pam` login and the
# allocator on 10,000 ranges against parsing the files; host check over
# 1,000 home folders against reading its inputs (target ≤ 1 s an op); image
# facts from the cache and from overlay layer folders against a container (a
# cache miss).
bench:
	$(GO) mod download
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./devcontainer/ ./cli/ ./internal/subid/ ./internal/hostcheck/ ./engine/

# Whole process on the e2e lab (root): devfix lint against the reference
# CLI's read-configuration --include-merged-configuration of the same config,
# under rootless Docker and under rootless Podman by its CLI (image seen
# before and never seen, vfs and overlay stores); a compose repo against an
# image repo; --strategy acl against root. Prints the ratios.
speed:
	bash e2e/speed.sh

# devfix's main job on a bundled example: the diff apply would make for
# rootless Docker.
demo:
	$(GO) run ./cmd/devfix apply --engine docker --diff testdata/demo

# End to end on real rootless Docker and Podman with the reference CLI (root).
e2e:
	bash e2e/run.sh

# docs/rules.md from the rule registry (a test fails when it is stale),
# through a temporary file: a failed build leaves the old one in place.
docs:
	$(GO) run ./cmd/devfix rules --format markdown >docs/rules.md.tmp || { rm -f docs/rules.md.tmp; exit 1; }
	mv docs/rules.md.tmp docs/rules.md

clean:
	rm -rf bin
