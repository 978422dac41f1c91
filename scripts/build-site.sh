#!/usr/bin/env bash
# Builds the browser side into target/site: the hydrate WASM (plain cargo +
# wasm-bindgen, then binaryen's wasm-opt -Os from npm) and the Tailwind stylesheet, named after
# their content (pkg/nsm.<hash>.{js,wasm,css}, the hashes in hash.txt, the layout
# cargo-leptos's hash-files produces), each with brotli and gzip copies beside it
# (.br, .gz) for the server to send as they are (server/src/http/assets.rs).
# NSM_SITE_ROOT (the server's --site-root) builds elsewhere than target/site.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
SITE="${NSM_SITE_ROOT:-$ROOT/target/site}"
PKG="$SITE/pkg"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$STAGE" --out-name nsm \
    "$TARGET/wasm32-unknown-unknown/wasm-release/frontend.wasm"
# npm's binaryen (package.json pins it): Debian 12's wasm-opt (version 108) rewrites
# wasm-bindgen's externref table into one the browser refuses at start-up
# ("WebAssembly.Table.set(): Argument 1 is invalid for table"), so nothing hydrates.
# -Os, not -Oz: with -Oz the Account page of a user with a one-time password failed
# to hydrate (tachys' "entered unreachable code"); the same build unoptimised or with
# -Os hydrates (the e2e suite covers it). -Os costs ~10 % in size.
# The features rustc enables by default for wasm32-unknown-unknown; wasm-opt must be
# told, and introduces none beyond them.
node_modules/.bin/wasm-opt -Os --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue \
    "$STAGE/nsm_bg.wasm" -o "$STAGE/nsm.wasm"
rm "$STAGE/nsm_bg.wasm"
node_modules/.bin/tailwindcss --input style/main.css --output "$STAGE/nsm.css" --minify 2>&1 | grep -v '^≈' >&2 || true
test -s "$STAGE/nsm.css"

# 64 bits of SHA-256: a name changes whenever the content does.
hash_of() { sha256sum "$1" | cut -c1-16; }
wasm_hash="$(hash_of "$STAGE/nsm.wasm")"
# The JS names its WASM (its default when none is passed); the page passes it anyway.
sed -i "s/nsm_bg\.wasm/nsm.$wasm_hash.wasm/g" "$STAGE/nsm.js"
js_hash="$(hash_of "$STAGE/nsm.js")"
css_hash="$(hash_of "$STAGE/nsm.css")"
mv "$STAGE/nsm.wasm" "$STAGE/nsm.$wasm_hash.wasm"
mv "$STAGE/nsm.js" "$STAGE/nsm.$js_hash.js"
mv "$STAGE/nsm.css" "$STAGE/nsm.$css_hash.css"

for file in "$STAGE"/nsm.*; do
    brotli --quality=11 --keep --force "$file"
    gzip -9 --keep --no-name --force "$file"
done

# New files first, then hash.txt (what pages name), then the previous build's files go.
mkdir -p "$PKG"
mv "$STAGE"/nsm.* "$PKG/"
printf 'js: %s\nwasm: %s\ncss: %s\n' "$js_hash" "$wasm_hash" "$css_hash" > "$SITE/hash.txt.new"
mv "$SITE/hash.txt.new" "$SITE/hash.txt"
for file in "$PKG"/nsm.* "$PKG"/nsm_bg.wasm; do
    case "$(basename "$file")" in
        "nsm.$js_hash.js"* | "nsm.$wasm_hash.wasm"* | "nsm.$css_hash.css"*) ;;
        *) rm -f "$file" ;;
    esac
done
