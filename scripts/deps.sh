#!/usr/bin/env bash
# Install what the build, the tests, the demo and the benchmark need, from
# Debian's archive.  Idempotent: does nothing when everything is there.
set -euo pipefail
pkgs=(gcc make bc bison flex perl python3 git rsync cpio gzip xz-utils
      libelf-dev libssl-dev libc6-dev ccache qemu-system-x86 busybox-static b4
      python3-ply python3-git gnuplot-nox procps psmisc)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
echo "==> installing: ${missing[*]}" >&2
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
