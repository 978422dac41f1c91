#!/usr/bin/env bash
# Builds the browser side into target/site/pkg: the hydrate WASM (plain cargo +
# wasm-bindgen) and the Tailwind stylesheet. Same layout cargo-leptos produces.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PKG="$ROOT/target/site/pkg"
mkdir -p "$PKG"

cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$PKG" --out-name nsm \
    target/wasm32-unknown-unknown/wasm-release/frontend.wasm
node_modules/.bin/tailwindcss --input style/main.css --output "$PKG/nsm.css" --minify 2>&1 | grep -v '^≈' >&2 || true
test -s "$PKG/nsm.css"
