#!/usr/bin/env bash
# What a maintainer runs first on the series, one TAP line per check:
#   - patches/ applies to the base without fuzz, and exporting the result
#     gives patches/ back byte for byte;
#   - each patch: checkpatch --strict clean (the sign-off is the sender's),
#     an Assisted-by: trailer and no Signed-off-by:;
#   - kernel-doc -Wall is silent on the files the series adds;
#   - each prefix of the series builds with configs/vm.config and
#     configs/debug.config (bisectable), and the C files the series
#     touches build with W=1 without a warning.
# Leaves $WORK/linux at the top of the series, built in $WORK/build/vm.
. "$(dirname "$0")/lib.sh"

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }

"$TOP/scripts/apply.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
OUT=$tmp "$TOP/scripts/export.sh" 2>/dev/null
check "export(apply(patches)) == patches" \
	diff -r -x cover-letter.txt "$TOP/patches" "$tmp"

# checkpatch's SPDX check runs "env python3" and needs ply and git
# (python3-ply, python3-git); without them it prints a traceback and
# passes.  A python3 first on PATH without them (e.g. pyenv's) gives way
# to the system's.
spdx() { python3 -c 'import ply, git' 2>/dev/null; }
spdx || PATH=/usr/bin:$PATH
spdx || die "python3 lacks ply or git: checkpatch cannot check SPDX lines"

cd "$TREE"
for p in $(cat "$TOP/patches/series"); do
	f=$TOP/patches/$p
	# The base is a tarball without history, so checkpatch cannot look
	# up the commits that Fixes: tags name; everything else counts.
	check "checkpatch --strict $p" ./scripts/checkpatch.pl -q --strict \
		--no-signoff --ignore UNKNOWN_COMMIT_ID "$f"
	check "trailers $p" eval "grep -q '^Assisted-by: ' '$f' && ! grep -q '^Signed-off-by: ' '$f'"
done

added=$(git diff --name-only --diff-filter=A base..HEAD -- '*.c' '*.h')
if [ -n "$added" ]; then
	check "kernel-doc -Wall on added files" \
		eval "! ./scripts/kernel-doc -none -Wall $(echo $added) 2>&1 | grep ."
fi

# A patch that changes only documentation, selftests (selftests.sh builds
# them at the top) or MAINTAINERS builds the same kernel as the one
# before it: not built again.
branch=$(git symbolic-ref --short HEAD)
for c in $(git rev-list --reverse base..HEAD); do
	git checkout -q "$c"
	if git diff --quiet "$c^" "$c" -- . ':!Documentation' ':!tools/testing' ':!MAINTAINERS'; then
		echo "# $(git log -1 --format=%s): no kernel source changed, not built again"
		continue
	fi
	t=$SECONDS
	check "builds: $(git log -1 --format=%s)" "$TOP/scripts/build.sh"
	echo "# built in $((SECONDS - t))s"
done
git checkout -q "$branch"

O=$WORK/build/vm
objs=$(git diff --name-only base..HEAD -- '*.c' | sed 's/\.c$/.o/' |
	while read -r o; do [ -e "$O/$o" ] && echo "$o"; done)
if [ -n "$objs" ]; then
	touch $(echo "$objs" | sed 's/\.o$/.c/')
	check "W=1 without warnings: $(echo $objs)" \
		eval "! ${KMAKE[*]@Q} O=$O W=1 $(echo $objs) 2>&1 | grep -E 'warning:|error:'"
	touch $(echo "$objs" | sed 's/\.o$/.c/')	# rebuilt without W=1 next time
fi
echo "check: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
