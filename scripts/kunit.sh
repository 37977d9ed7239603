#!/usr/bin/env bash
# Run the hugepage_alloc KUnit tests with kunit.py on QEMU x86_64, on the
# VM kernel ($WORK/build/vm, make build): it has the suite built in, every
# option of mm/tests/hugepage_alloc.kunitconfig (checked here) and the
# debug options of configs/debug.config, so "kunit.py exec" runs it as
# "kunit.py run --kunitconfig=mm/tests/hugepage_alloc.kunitconfig" would,
# without building a second kernel.  The guest has two NUMA nodes of 3G
# and boots with 2M and 1G HugeTLB pools, which the kernel spreads over
# both nodes.  Extra arguments go to kunit.py exec, e.g. --raw_output.
. "$(dirname "$0")/lib.sh"

O=${O:-$WORK/build/vm}
KUNITCONFIG=mm/tests/hugepage_alloc.kunitconfig
[ -e "$O/arch/x86/boot/bzImage" ] || die "no kernel in $O: make build"
missing=$(cd "$TREE" && grep '^CONFIG_' "$KUNITCONFIG" | grep -vxF -f "$O/.config" || true)
[ -z "$missing" ] || die "$O/.config lacks $KUNITCONFIG's $(echo $missing)"

# kunit.py has QEMU try "-accel kvm -accel hvf -accel tcg", but this
# machine's /dev/kvm cannot run the guest (no 1G pages, CPUID, MSRs):
# put a qemu first in $PATH that drops all accelerators but TCG.
BIN=$WORK/build/kunit-bin
mkdir -p "$BIN"
cat > "$BIN/qemu-system-x86_64" <<EOF
#!/usr/bin/env bash
a=()
while [ \$# -gt 0 ]; do
	[ "\$1" = -accel ] && [ "\$2" != tcg ] && { shift 2; continue; }
	a+=("\$1"); shift
done
exec $(PATH=${PATH//$BIN:/} command -v qemu-system-x86_64) "\${a[@]}"
EOF
chmod +x "$BIN/qemu-system-x86_64"

# The whole console goes to $RAW, so that a splat fails the run even when
# every case passed (e.g. sleeping in atomic context); kunit.py parse
# then reads the results from it.
RAW=$WORK/logs/kunit-console.log
mkdir -p "$WORK/logs"
cd "$TREE"
PATH=$BIN:$PATH ./tools/testing/kunit/kunit.py exec --arch=x86_64 \
	--raw_output=all --build_dir="$O" --kunitconfig="$KUNITCONFIG" --timeout=1200 \
	--kernel_args="panic=-1 hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=4" \
	--qemu_args="-m 6G -cpu max -smp 2,sockets=2 \
-object memory-backend-ram,id=m0,size=3G -numa node,nodeid=0,cpus=0,memdev=m0 \
-object memory-backend-ram,id=m1,size=3G -numa node,nodeid=1,cpus=1,memdev=m1" \
	"$@" 'hugepage_alloc*' > "$RAW" || { tail -n 30 "$RAW"; die "kunit.py exec failed"; }
./tools/testing/kunit/kunit.py parse "$RAW"
# kmemleak would scan by itself only a minute after boot, after the run:
# the suite's leak scan is the VM's (test.sh's stress stage runs it at boot).
splats=$(grep -E '(BUG:|WARNING:|Oops|UBSAN:|Kernel panic|unreferenced object|suspected memory leak)' "$RAW" || true)
[ -z "$splats" ] || die "kernel splat(s) in $RAW: $(echo "$splats" | head -n 3)"
