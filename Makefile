# The two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := run

# scripts/setup.sh records which toolchain has the wasm32 target ("" = rustup's default).
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

.PHONY: setup build build-debug site run test test-e2e e2e lint fmt clean

setup:
	@bash scripts/setup.sh

site: setup
	@bash scripts/build-site.sh

build: setup site
	cargo build --release -p nsm-server -p nsm-worker

build-debug: setup site
	cargo build -p nsm-server -p nsm-worker

run: build
	target/release/nsm-server

# Rust tests first (unit, property, integration against real SQLite, git, Docker),
# then Playwright drives Debian's Chromium against the debug server they built.
test: setup site
	bash scripts/services.sh
	cargo test --workspace --no-fail-fast
	$(MAKE) e2e

test-e2e: setup site
	cargo test --workspace --no-run
	$(MAKE) e2e

# `cargo test` builds target/debug/nsm-server with the same features, so nothing
# is compiled twice.
e2e:
	NSM_E2E_PORT=$(E2E_PORT) npx playwright test --config end2end/playwright.config.ts

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
