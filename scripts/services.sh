#!/usr/bin/env bash
# Starts the services the tests talk to, when they are not already answering.
set -euo pipefail
if command -v dockerd >/dev/null && ! docker info >/dev/null 2>&1; then
    echo "[services] starting dockerd" >&2
    mkdir -p /var/log
    (setsid dockerd > /var/log/nsm-dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 || { echo "[services] dockerd did not start; see /var/log/nsm-dockerd.log" >&2; exit 1; }
fi

# The local base image the examples and tests build FROM (no registry is reachable).
if docker info >/dev/null 2>&1; then
    bash "$(dirname "$0")/busybox-image.sh"
fi
