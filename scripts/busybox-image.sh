#!/usr/bin/env bash
# Builds the local base image `nsm-local/busybox:latest` from Debian's busybox-static:
# no image registry is needed. The examples and the tests build their images FROM it.
#
#   scripts/busybox-image.sh           # build unless the image already exists
#   scripts/busybox-image.sh --force   # rebuild
#
# Needs: docker (a running daemon) and /bin/busybox from `apt-get install busybox-static`.
set -euo pipefail

IMAGE="${NSM_BUSYBOX_IMAGE:-nsm-local/busybox:latest}"
BUSYBOX="${NSM_BUSYBOX_BINARY:-/bin/busybox}"

if [[ "${1:-}" != "--force" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    exit 0
fi

if [[ ! -x "$BUSYBOX" ]] || ! "$BUSYBOX" --list >/dev/null 2>&1; then
    echo "busybox-image: $BUSYBOX is missing or not a busybox binary; run: apt-get install busybox-static" >&2
    exit 1
fi
# A dynamically linked busybox would not run in an image without a libc.
if command -v ldd >/dev/null && ldd "$BUSYBOX" >/dev/null 2>&1; then
    echo "busybox-image: $BUSYBOX is dynamically linked; install busybox-static" >&2
    exit 1
fi

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,var/www,root}
chmod 1777 "$rootfs/tmp"
cp "$BUSYBOX" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
# Every applet as a link in /bin, and the usual interpreter path for shebangs.
while read -r applet; do
    [[ "$applet" == "busybox" || -z "$applet" ]] && continue
    ln -s busybox "$rootfs/bin/$applet"
done < <("$BUSYBOX" --list)
ln -s ../../bin/busybox "$rootfs/usr/bin/env"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"

tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/sh"]' \
        - "$IMAGE" >/dev/null
echo "busybox-image: built $IMAGE" >&2
