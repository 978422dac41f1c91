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
E2E_PORT ?= 3107

.PHONY: setup build build-debug site run test test-rust test-e2e lint fmt clean

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

test: setup
	$(MAKE) test-rust
	$(MAKE) test-e2e

test-rust:
	bash scripts/services.sh
	cargo test --workspace --no-fail-fast

test-e2e: build-debug
	NSM_E2E_PORT=$(E2E_PORT) npx playwright test --config end2end/playwright.config.ts

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	cargo clean
