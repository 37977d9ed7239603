#!/usr/bin/env bash
# Build the kernel in $WORK/linux out of tree ($WORK/build/vm) from
# allnoconfig + configs/vm.config + configs/debug.config (CONFIGS="vm" for
# a kernel without the debug options), with ccache.  Fails if any line of
# the fragments did not make it into .config (a dependency was missing).
. "$(dirname "$0")/lib.sh"

O=${O:-$WORK/build/vm}
CONFIGS=${CONFIGS:-vm debug}
mkdir -p "$O"
for c in $CONFIGS; do cat "$TOP/configs/$c.config"; done > "$O/fragment.config"
cd "$TREE"
"${KMAKE[@]}" O="$O" KCONFIG_ALLCONFIG="$O/fragment.config" allnoconfig
# A symbol the tree does not define yet (an earlier patch of the series)
# may be missing; any other missing line means a dependency is missing.
for l in $(grep '^CONFIG_' "$O/fragment.config" | grep -vxF -f "$O/.config"); do
	s=${l%%=*}
	! git grep -q "^config ${s#CONFIG_}\$" -- '*Kconfig*' || die "not in .config: $l"
done
"${KMAKE[@]}" O="$O" ${W:+W=$W} bzImage modules
