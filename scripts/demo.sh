#!/usr/bin/env bash
# The demo: build demo/gmem_demo.c statically against the patched kernel's
# uAPI headers and run it in the VM (scripts/vm-run.sh).  Arguments go to
# gmem_demo (default: 4 2M pages, then 1 1G page).
. "$(dirname "$0")/lib.sh"

O=${O:-$WORK/build/vm}
out=$WORK/build/demo
mkdir -p "$out"
(cd "$TREE" && "${KMAKE[@]}" O="$O" headers_install)
gcc -static -O2 -Wall -Werror -isystem "$O/usr/include" \
	-o "$out/gmem_demo" "$TOP/demo/gmem_demo.c"
O=$O "$TOP/scripts/vm-run.sh" --timeout 600 --file "$out/gmem_demo" "gmem_demo $*"
