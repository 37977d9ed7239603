#!/usr/bin/env bash
# Build the kernel in $WORK/linux out of tree ($WORK/build/vm) from
# allnoconfig + configs/vm.config, with ccache.  Fails if any line of the
# fragment did not make it into .config (a dependency was missing).
. "$(dirname "$0")/lib.sh"

O=${O:-$WORK/build/vm}
mkdir -p "$O"
cd "$TREE"
"${KMAKE[@]}" O="$O" KCONFIG_ALLCONFIG="$TOP/configs/vm.config" allnoconfig
# A symbol the tree does not define yet (an earlier patch of the series)
# may be missing; any other missing line means a dependency is missing.
for l in $(grep '^CONFIG_' "$TOP/configs/vm.config" | grep -vxF -f "$O/.config"); do
	s=${l%%=*}
	! git grep -q "^config ${s#CONFIG_}\$" -- '*Kconfig*' || die "not in .config: $l"
done
"${KMAKE[@]}" O="$O" ${W:+W=$W} bzImage modules
