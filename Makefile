# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# scripts/setup.sh records which toolchain has the wasm32 target ("" = rustup's
# default). Every target that compiles runs in a sub-make started after set-up, so it
# reads the file set-up has just written.
TOOLCHAIN_FILE := target/.setup/toolchain
RUSTUP_TOOLCHAIN ?= $(shell cat $(TOOLCHAIN_FILE) 2>/dev/null)
ifneq ($(strip $(RUSTUP_TOOLCHAIN)),)
export RUSTUP_TOOLCHAIN
endif
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# A fresh CI clone gains nothing from incremental artefacts, only disk use.
ifeq ($(CI),true)
export CARGO_INCREMENTAL := 0
endif
E2E_PORT ?= 3107
SUB := $(MAKE) --no-print-directory

.PHONY: setup site build run test test-e2e lint fmt clean _site _build _services _test _e2e _lint

setup:
	@bash scripts/setup.sh

site: setup
	@$(SUB) _site

build: setup
	@$(SUB) _build

# Starts Docker (for the embedded worker) and serves on http://127.0.0.1:3000.
run: setup
	@$(SUB) _build _services
	target/release/nsm-server

# Unit, property and integration tests (real SQLite, git, Docker, nginx, pebble), then
# Playwright in Debian's Chromium against the debug server `cargo test` built.
test: setup
	@$(SUB) _test

test-e2e: setup
	@$(SUB) _site _services
	cargo test --workspace --exclude frontend --no-run
	@$(SUB) _e2e

lint: setup
	@$(SUB) _lint

# Debian's toolchain ships no rustfmt; rustup's stable one formats the same way.
FMT := $(shell cargo fmt --version >/dev/null 2>&1 && echo "cargo fmt" || echo "rustup run stable cargo fmt")

fmt:
	$(FMT) --all

clean:
	cargo clean

_site:
	bash scripts/build-site.sh

_build: _site
	cargo build --release -p nsm-server -p nsm-worker

_services:
	bash scripts/services.sh

# `frontend` is left out of host builds: building it with the server would compile
# `app` with both `ssr` and `hydrate`, and client-only effects would run in SSR.
# NSM_REQUIRE_SERVICES: a test whose Docker, nginx or pebble is missing fails instead
# of skipping (without it, as in a bare `cargo test`, such a test says SKIPPED).
_test: export NSM_REQUIRE_SERVICES := 1
_test: _site _services
	cargo test --workspace --exclude frontend --no-fail-fast
	@$(SUB) _e2e

_e2e:
	NSM_E2E_PORT=$(E2E_PORT) npx playwright test --config end2end/playwright.config.ts

_lint:
	$(FMT) --all -- --check
	python3 scripts/module-cycles.py
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
