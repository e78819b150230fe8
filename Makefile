# devfix — make targets. Every target installs what it needs (Go modules via
# the module proxy); `make e2e` also installs Debian and npm packages (root).

GO      ?= go
BIN     := bin/devfix
PKGS    := ./...

.PHONY: all build test vet fuzz bench demo e2e docs clean

all: build

build:
	$(GO) mod download
	$(GO) build -o $(BIN) ./cmd/devfix

# All unit and integration tests plus go vet; passes as any user.
test:
	$(GO) mod download
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

# A short run of each fuzz target (longer: make fuzz FUZZTIME=10m).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzLintApply -fuzztime $(FUZZTIME) ./devcontainer/

# Lint of the whole corpus against the parse floor, reported as a ratio.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./devcontainer/ ./cli/

# devfix's main job on a bundled example: the diff apply would make.
demo:
	$(GO) run ./cmd/devfix apply --diff testdata/demo

# End to end on a real rootless Docker daemon with the reference CLI (root).
e2e:
	bash e2e/run.sh

# docs/rules.md from the rule registry (a test fails when it is stale).
docs:
	$(GO) run ./cmd/devfix rules --format markdown > docs/rules.md

clean:
	rm -rf bin
