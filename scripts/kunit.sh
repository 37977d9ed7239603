#!/usr/bin/env bash
# Run the hugepage_alloc KUnit tests on x86_64 under QEMU, built out of
# tree in $WORK/build/kunit.  The guest has two NUMA nodes of 3G each and
# boots with 2M and 1G HugeTLB pools, spread over both nodes.  Extra
# arguments go to kunit.py run, e.g. a filter glob or --raw_output.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/build/kunit"
cd "$TREE"
exec ./tools/testing/kunit/kunit.py run --arch=x86_64 \
	--build_dir="$WORK/build/kunit" \
	--kunitconfig=mm/tests/hugepage_alloc.kunitconfig \
	--make_options CC="ccache gcc" \
	--kernel_args="hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=4" \
	--qemu_args="-m 6G -cpu EPYC,+pdpe1gb -smp 2 \
-object memory-backend-ram,id=m0,size=3G \
-object memory-backend-ram,id=m1,size=3G \
-numa node,nodeid=0,cpus=0,memdev=m0 \
-numa node,nodeid=1,cpus=1,memdev=m1" \
	"$@"
