#!/usr/bin/env bash
# Installs everything NSM needs to build, run and test, on Debian 12.
# Idempotent: every step checks first, so a second run takes seconds.
# Reaches only the package registries (Debian, crates.io, npm, PyPI).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STAMP_DIR="$ROOT/target/.setup"
mkdir -p "$STAMP_DIR"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"

# ---------------------------------------------------------------- Debian packages
APT_PACKAGES=(lld-19 docker.io docker-compose nginx libnginx-mod-stream pebble git chromium brotli busybox-static sqlite3 curl ca-certificates pkg-config python3-venv)
SECURITY_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy)

missing=()
for p in "${APT_PACKAGES[@]}" "${SECURITY_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    # A third-party source that is unreachable must not stop the update.
    as_root apt-get update -o APT::Update::Error-Mode=any >&2 || as_root apt-get update >&2 || true
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends -t bookworm-security "${SECURITY_PACKAGES[@]}" >&2
    as_root apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}" >&2
fi

# ---------------------------------------------------------------- Rust toolchain
# A normal rustup with the wasm32 target is used as it is. Otherwise (these machines:
# rustup cannot download) Debian's rustc 1.96 gets a wasm32 std built once from its
# own sources, and rustup adopts it as the toolchain `nsm-system`.
if command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    log "rustup already has wasm32-unknown-unknown"
    echo "" > "$STAMP_DIR/toolchain"
else
    SYSROOT_WASM=/usr/lib/rustlib/wasm32-unknown-unknown/lib
    # rustc links wasm with `rust-lld`; Debian ships LLVM's lld under another name.
    if [ ! -e /usr/local/bin/rust-lld ]; then
        as_root ln -sf /usr/lib/llvm-19/bin/lld /usr/local/bin/rust-lld
    fi
    if ! ls "$SYSROOT_WASM"/libstd-*.rlib >/dev/null 2>&1; then
        log "building the wasm32 standard library with Debian's rustc (once per machine)"
        tmp="$(mktemp -d)"
        mkdir -p "$tmp/src"
        printf '[package]\nname = "wasmstd"\nversion = "0.0.0"\nedition = "2021"\n[lib]\ncrate-type = ["cdylib"]\n[workspace]\n' > "$tmp/Cargo.toml"
        echo '' > "$tmp/src/lib.rs"
        (cd "$tmp" && RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc CARGO_HOME="$tmp/cargo-home" \
            /usr/bin/cargo build --release --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort >&2)
        as_root mkdir -p "$SYSROOT_WASM"
        find "$tmp/target/wasm32-unknown-unknown/release/deps" -name 'lib*.rlib' ! -name 'libwasmstd*' \
            -exec cp {} "$SYSROOT_WASM/" \;
        rm -rf "$tmp"
    fi
    if command -v rustup >/dev/null; then
        rustup toolchain list | grep -q '^nsm-system' || rustup toolchain link nsm-system /usr >&2
        echo "nsm-system" > "$STAMP_DIR/toolchain"
    else
        echo "" > "$STAMP_DIR/toolchain"
    fi
fi

# ---------------------------------------------------------------- wasm-bindgen CLI
# Must match the wasm-bindgen crate exactly (pinned with '=' in Cargo.toml).
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once per machine, ~10 min)"
    # `--locked` fails for this version: a locked dependency is missing from the registry.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root /usr/local >&2
fi

# ---------------------------------------------------------------- cargo-nextest is optional
# (plain `cargo test` runs the same tests).

# ---------------------------------------------------------------- gixy (nginx linter)
# The edge test lints the generated nginx configuration with it (PyPI gixy-ng, pinned),
# in a virtualenv of its own under target/.setup.
GIXY_VERSION=0.2.59
GIXY_VENV="$STAMP_DIR/gixy"
if ! "$GIXY_VENV/bin/gixy" --version 2>/dev/null | grep -q "v$GIXY_VERSION\$"; then
    log "installing gixy-ng $GIXY_VERSION"
    /usr/bin/python3 -m venv "$GIXY_VENV" >&2
    "$GIXY_VENV/bin/pip" install --quiet --disable-pip-version-check "gixy-ng==$GIXY_VERSION" >&2
fi

# ---------------------------------------------------------------- npm: tailwind + playwright
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm packages"
    npm ci --no-audit --no-fund >&2
fi

log "set-up complete"
