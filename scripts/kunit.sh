#!/usr/bin/env bash
# Run the hugepage_alloc KUnit tests on x86_64 under QEMU, built out of
# tree in $WORK/build/kunit with the debug options of configs/debug.config.
# The guest has two NUMA nodes of 3G and boots with 2M and 1G HugeTLB
# pools, which the kernel spreads over both nodes.
# Extra arguments go to kunit.py run, e.g. a filter glob or --raw_output.
. "$(dirname "$0")/lib.sh"

# kunit.py has QEMU try "-accel kvm -accel hvf -accel tcg", but this
# machine's /dev/kvm cannot run the guest (no 1G pages, CPUID, MSRs):
# put a qemu first in $PATH that drops all accelerators but TCG.
BIN=$WORK/build/kunit-bin
mkdir -p "$BIN" "$WORK/build/kunit"
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
RAW=$WORK/build/kunit/console.log
cd "$TREE"
PATH=$BIN:$PATH ./tools/testing/kunit/kunit.py run --arch=x86_64 \
	--raw_output=all --build_dir="$WORK/build/kunit" \
	--kunitconfig=mm/tests/hugepage_alloc.kunitconfig \
	--kunitconfig="$TOP/configs/debug.config" \
	--make_options CC="ccache gcc" \
	--kernel_args="hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=4" \
	--qemu_args="-m 6G -cpu max -smp 2,sockets=2 \
-object memory-backend-ram,id=m0,size=3G -numa node,nodeid=0,cpus=0,memdev=m0 \
-object memory-backend-ram,id=m1,size=3G -numa node,nodeid=1,cpus=1,memdev=m1" \
	"$@" > "$RAW" || { tail -n 30 "$RAW"; die "kunit.py run failed"; }
./tools/testing/kunit/kunit.py parse "$RAW"
# kmemleak would scan by itself only a minute after boot, after the run:
# the suite's leak scan is the VM's (test.sh's stress stage runs it at boot).
splats=$(grep -E '(BUG:|WARNING:|Oops|UBSAN:|Kernel panic|unreferenced object|suspected memory leak)' "$RAW" || true)
[ -z "$splats" ] || die "kernel splat(s) in $RAW: $(echo "$splats" | head -n 3)"
