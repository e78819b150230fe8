# devfix — make targets. Every target installs what it needs (Go modules via
# the module proxy); `make e2e` and `make speed` also install Debian and npm
# packages (root).

GO      ?= go
BIN     := bin/devfix
PKGS    := ./...

.PHONY: all build test vet fuzz bench speed demo e2e docs dist dist-deps clean

all: build

# The version devfix and its packages carry: the nearest v* tag (git
# describe: 1.2.0, 1.2.0+3.gabc1234 past it), else
# 0.0.0~git<commit time>.<revision>; "+dirty" for a tree with changes. No
# '-', so deb and rpm both take it as it is and order it alike.
DIRTY    := $(shell git rev-parse -q --verify HEAD >/dev/null 2>&1 && { git diff --quiet HEAD -- || echo +dirty; })
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
VERSION  ?= $(or $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null | sed -e 's/^v//' -e 's/-\([0-9]*\)-g/+\1.g/'),$(if $(REVISION),0.0.0~git$(shell git log -1 --format=%cd --date=format:%Y%m%d%H%M%S).$(shell git rev-parse --short=12 HEAD),0.0.0~unknown))$(DIRTY)
# (Outside a git checkout the binary says what its build info says.)
LDFLAGS  := -s -w $(if $(REVISION),-X github.com/devfix/devfix/cli.buildVersion=$(VERSION) -X github.com/devfix/devfix/cli.buildRevision=$(REVISION))

# A static binary (no cgo): one file to copy onto a shared host.
build:
	$(GO) mod download
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(BIN) ./cmd/devfix

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

# Release artefacts in dist/: static binaries for linux/amd64 and arm64, a
# .deb and an .rpm of each (nfpm, the Go tool pinned in packaging/go.mod: its
# own module, so devfix's go.mod and binary stay free of it), SHA256SUMS.
# Everything but the binary is staged once from the host's build: the man
# pages from the command table, the completions and the PAM profile from
# devfix itself.
DIST       := dist
STAGE      := $(DIST)/stage
ARCHES     := amd64 arm64
MAINTAINER ?= devfix maintainers <devfix@users.noreply.github.com>
HOSTARCH   := $(shell $(GO) env GOARCH)
dist:
	$(GO) mod download
	rm -rf $(DIST)
	mkdir -p $(STAGE)/man $(STAGE)/completion $(STAGE)/pam-configs $(STAGE)/doc
	for a in $(ARCHES); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$a $(GO) build -trimpath -ldflags='$(LDFLAGS)' -o $(STAGE)/devfix-linux-$$a ./cmd/devfix || exit 1; \
	done
	$(GO) build -o $(STAGE)/gendist ./internal/gendist
	$(STAGE)/gendist man -out $(STAGE)/man -release "devfix $(VERSION)" \
		-date "$$(git log -1 --format=%cs 2>/dev/null || date -u +%F)"
	gzip -9n $(STAGE)/man/*.1
	$(STAGE)/devfix-linux-$(HOSTARCH) completion bash >$(STAGE)/completion/devfix.bash
	$(STAGE)/devfix-linux-$(HOSTARCH) completion zsh >$(STAGE)/completion/_devfix
	$(STAGE)/devfix-linux-$(HOSTARCH) completion fish >$(STAGE)/completion/devfix.fish
	$(STAGE)/devfix-linux-$(HOSTARCH) host pam-profile --bin /usr/bin/devfix >$(STAGE)/pam-configs/devfix
	for f in copyright copyright.debian; do \
		$(STAGE)/gendist copyright -bin $(STAGE)/devfix-linux-$(HOSTARCH) \
			-modcache "$$($(GO) env GOMODCACHE)" -goroot "$$($(GO) env GOROOT)" \
			$$([ -f LICENSE ] && echo -license LICENSE) $$([ $$f = copyright.debian ] && echo -debian) >$(STAGE)/doc/$$f || exit 1; \
	done
	cp README.md $(STAGE)/doc/README.md
	cp docs/rules.md docs/fleet.md $(STAGE)/doc/
	gzip -9n $(STAGE)/doc/*.md
	@# The Debian changelog nfpm writes (changelog.Debian.gz), one entry.
	printf -- '- semver: "%s-1"\n  date: %s\n  packager: "%s"\n  deb:\n    urgency: medium\n    distributions: [unstable]\n  changes:\n    - commit: "%s"\n      note: "Built from commit %s."\n' \
		"$(VERSION)" "$$(git log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)" "$(MAINTAINER)" "$(REVISION)" "$(REVISION)" >$(STAGE)/changelog.yml
	cp -r packaging/nfpm.yaml packaging/scripts packaging/deb $(STAGE)/
	$(GO) -C packaging build -o $(abspath $(STAGE))/nfpm github.com/goreleaser/nfpm/v2/cmd/nfpm
	for a in $(ARCHES); do \
		for p in deb rpm; do \
			(cd $(STAGE) && PKG_ARCH=$$a PKG_VERSION='$(VERSION)' MAINTAINER='$(MAINTAINER)' \
				./nfpm package --config nfpm.yaml --packager $$p --target ../) || exit 1; \
		done; \
		cp $(STAGE)/devfix-linux-$$a $(DIST)/; \
	done
	cd $(DIST) && sha256sum devfix-linux-* *.deb *.rpm >SHA256SUMS
	@cat $(DIST)/SHA256SUMS

# What make dist, its checks and e2e/package.sh need from Debian (root,
# idempotent): lintian, rpm (to read the .rpm), man-db, bash-completion,
# pamtester, ansible-core (its apt module needs python3-apt), fish and zsh
# (their completion folders).
DIST_DEPS := lintian rpm man-db bash-completion pamtester ansible-core python3-apt fish zsh file
dist-deps:
	@missing=; for p in $(DIST_DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-o DPkg::Lock::Timeout=300 $$missing >/dev/null; \
	fi

clean:
	rm -rf bin dist
