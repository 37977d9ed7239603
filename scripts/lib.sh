# Shared settings for the scripts; sourced, not run.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$TOP/work}
BASE=$WORK/base            # pristine 7.3 as a git repo (first commit)
TREE=${TREE:-$WORK/linux}           # base + patches/, made by scripts/apply.sh
JOBS=${JOBS:-$(($(nproc) + 1))}	# one more than the CPUs: ccache and the linker wait on I/O
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/root}/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
KMAKE=(make -s -j"$JOBS" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc")
lock() { sed -n "s/^$1=//p" "$TOP/base.lock"; }
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
