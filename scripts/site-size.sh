#!/usr/bin/env bash
# What the browser downloads on a first visit, as the server really sends it: fetches
# a page, then every /pkg file it names, with curl asking for brotli, for gzip and for
# neither, and prints the bytes transferred per file and in total.
#
#   scripts/site-size.sh                 # starts the built server on a scratch data dir
#   scripts/site-size.sh http://host:port  # measures a running server
#
# The server started here is NSM_SERVER_BIN (target/release/nsm-server if built, else
# target/debug/nsm-server) on 127.0.0.1:NSM_SITE_SIZE_PORT (3217), serving NSM_SITE_ROOT
# (target/site).
# Exits non-zero if a file comes back with another Content-Encoding than asked for.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

BASE="${1:-}"
if [ -z "$BASE" ]; then
    BIN="${NSM_SERVER_BIN:-}"
    if [ -z "$BIN" ]; then
        if [ -x target/release/nsm-server ]; then BIN=target/release/nsm-server; else BIN=target/debug/nsm-server; fi
    fi
    [ -x "$BIN" ] || { echo "site-size: no server binary at $BIN (cargo build -p nsm-server)" >&2; exit 1; }
    PORT="${NSM_SITE_SIZE_PORT:-3217}"
    BASE="http://127.0.0.1:$PORT"
    DATA="$(mktemp -d)"
    "$BIN" --data-dir "$DATA" --listen "127.0.0.1:$PORT" --no-local-worker --edge off \
        --site-root "${NSM_SITE_ROOT:-$ROOT/target/site}" >"$DATA/server.log" 2>&1 &
    SERVER_PID=$!
    trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "$BASE/healthz" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$DATA/server.log" >&2; exit 1; }
        sleep 0.1
    done
fi

# A fresh server redirects every page to /setup, a set-up one to /login: both load
# the same files.
PAGE="$(curl -sfL "$BASE/")"
mapfile -t FILES < <(grep -o '/pkg/[^"]*' <<<"$PAGE" | sort -u)
[ "${#FILES[@]}" -gt 0 ] || { echo "site-size: the page names no /pkg file" >&2; exit 1; }

# Prints "<bytes transferred> <content-encoding>" for one request.
transfer() {
    curl -sf -o /dev/null -H "Accept-Encoding: $2" -w '%{size_download} %header{content-encoding}\n' "$BASE$1"
}

status=0
declare -A TOTAL=([identity]=0 [gzip]=0 [br]=0)
printf '%-40s %12s %12s %12s\n' file identity gzip br
for file in "${FILES[@]}"; do
    row=()
    for encoding in identity gzip br; do
        read -r bytes sent <<<"$(transfer "$file" "$encoding")"
        expected="$encoding"
        [ "$encoding" = identity ] && expected=""
        if [ "${sent:-}" != "$expected" ]; then
            echo "site-size: $file asked for $encoding came back as '${sent:-identity}'" >&2
            status=1
        fi
        TOTAL[$encoding]=$((TOTAL[$encoding] + bytes))
        row+=("$bytes")
    done
    printf '%-40s %12s %12s %12s\n' "${file#/pkg/}" "${row[@]}"
done
printf '%-40s %12s %12s %12s\n' total "${TOTAL[identity]}" "${TOTAL[gzip]}" "${TOTAL[br]}"
awk -v i="${TOTAL[identity]}" -v g="${TOTAL[gzip]}" -v b="${TOTAL[br]}" \
    'BEGIN { printf "total KB (1000 B): identity %.1f, gzip %.1f, br %.1f\n", i / 1000, g / 1000, b / 1000 }'
exit "$status"
