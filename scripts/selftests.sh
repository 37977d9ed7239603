#!/usr/bin/env bash
# Build the selftests that scripts/vm-run.sh runs in the VM, statically linked,
# from $WORK/linux into $WORK/build/selftests, against the UAPI headers of the
# VM kernel (make headers_install into $O/usr/include; O as in build.sh).
# Writes nothing into the source tree (checked).  Result: bin/ holds the
# binaries, tests.list the runs ("name [args]" a line) for tests/vm/run-tests.
. "$(dirname "$0")/lib.sh"

# KVM selftests, as paths under tools/testing/selftests/kvm.
KVM_TESTS="guest_memfd_test guest_print_test kvm_binary_stats_test
	x86/private_mem_conversions_test set_memory_region_test"
# KVM selftests of kselftest_harness.h: one run per case (FIXTURE.VARIANT.CASE,
# listed by -l), so that each case is a result of its own; the memory_failure
# cases last, as they leave a poisoned page behind.
KVM_HARNESS_TESTS="x86/guest_memfd_hugetlb_test"
# mm selftests built from NAME.c + vm_util.c + hugepage_settings.c, and
# helpers of the mm test scripts, which are built but not run themselves.
MM_TESTS="hugetlb-mmap hugetlb_min_size hugetlb-madvise hugetlb-mremap
	hugetlb_fault_after_madv hugetlb_madv_vs_map"
MM_HELPERS="write_to_hugetlbfs"
MM_SCRIPTS="charge_reserved_hugetlb.sh hugetlb_reparenting_test.sh
	write_hugetlb_memory.sh"
# Runs with arguments, in addition to one plain run of each test.
# hugetlb-mmap sets the pool to what it maps, and cannot grow a 1G pool
# back at run time: 2048 MB maps both 1G pages and leaves the pool as is.
EXTRA_RUNS="hugetlb-mmap 2048 30
private_mem_conversions_test -g 21
private_mem_conversions_test -g 30
charge_reserved_hugetlb.sh -cgroup-v2
hugetlb_reparenting_test.sh -cgroup-v2"

K=${O:-$WORK/build/vm}	# the kernel build, as in build.sh
OUT=$WORK/build/selftests
SELF=$TREE/tools/testing/selftests
KHDR=$K/usr/include
tree_state() { git -C "$TREE" status --porcelain --ignored; }

rm -rf "$OUT"	# 10s to rebuild; stale .d files could name another tree
before=$(tree_state)
cd "$TREE"
say "headers_install -> $KHDR"
"${KMAKE[@]}" O="$K" headers_install

say "kvm selftests: $(echo $KVM_TESTS $KVM_HARNESS_TESTS)"
# CC on the command line, or lib.mk resets it; USERLDFLAGS is lib.mk's hook
# for extra link flags (the kvm Makefile appends -pthread -no-pie to LDFLAGS).
make -s -j"$JOBS" -C "$SELF/kvm" ARCH=x86_64 CC="ccache gcc" \
	OUTPUT="$OUT/kvm" KHDR_INCLUDES="-isystem $KHDR" USERLDFLAGS=-static \
	$(printf "$OUT/kvm/%s " $KVM_TESTS $KVM_HARNESS_TESTS)

# The mm Makefile generates local_config.* in the tree: call gcc directly.
say "mm selftests: $(echo $MM_TESTS $MM_HELPERS)"
mkdir -p "$OUT/mm"
for t in $MM_TESTS $MM_HELPERS; do
	(cd "$SELF/mm" && gcc -static -Wall -O2 -D_GNU_SOURCE= -U_FORTIFY_SOURCE \
		-I.. -isystem "$KHDR" -isystem "$TREE/tools/include/uapi" \
		"$t.c" vm_util.c hugepage_settings.c -lrt -lpthread -lm -o "$OUT/mm/$t")
done

rm -rf "$OUT/bin"
mkdir -p "$OUT/bin"
for t in $KVM_TESTS $KVM_HARNESS_TESTS; do cp "$OUT/kvm/$t" "$OUT/bin/"; done
for t in $MM_TESTS $MM_HELPERS; do cp "$OUT/mm/$t" "$OUT/bin/"; done
for t in $MM_SCRIPTS; do cp "$SELF/mm/$t" "$OUT/bin/"; done
# The demo checks its own outcome (guest ran, pool back where it started).
gcc -static -O2 -Wall -Werror -isystem "$KHDR" -o "$OUT/bin/gmem_demo" "$TOP/demo/gmem_demo.c"
# Only for a VM booted with movablecore= (test.sh): not in tests.list.
gcc -static -O2 -Wall -Werror -Wno-unused-function -isystem "$KHDR" -o "$OUT/bin/gmem_movable" "$TOP/tests/vm/gmem_movable.c"
# The stress test: make stress, and a short run in make test (test.sh).
gcc -static -O2 -Wall -Werror -isystem "$KHDR" -o "$OUT/bin/gmem_stress" "$TOP/tests/vm/gmem_stress.c" -lpthread
# Fault injection into the KUnit case and gmem_stress (test.sh's stress stage).
cp "$TOP/tests/vm/fault-inject" "$OUT/bin/"
# "NAME -r FIXTURE.VARIANT.CASE" for each case of harness test NAME, from its
# -l, which prints each fixture's variants and cases as independent columns.
harness_runs() {
	{ "$OUT/bin/$1" -l 2>&1 || [ $? -eq 4 ]; } | awk -v t="$1" '
	/^(# FIXTURE|---)/ { next }
	{	f = substr($0, 1, 20); v = substr($0, 22, 25); c = substr($0, 48)
		gsub(/ /, "", f); gsub(/ /, "", v); gsub(/ /, "", c)
		if (f != "") fix[++nf] = f
		if (v != "") var[nf, ++nv[nf]] = v
		if (c != "") cas[nf, ++nc[nf]] = c }
	END {	for (i = 1; i <= nf; i++) for (j = 1; j <= nc[i]; j++)
			for (k = 1; k <= (nv[i] ? nv[i] : 1); k++) {
				run = t " -r " fix[i] (nv[i] ? "." var[i, k] : "") "." cas[i, j]
				if (cas[i, j] ~ /memory_failure/) last = last run "\n"
				else print run
			}
		printf "%s", last }'
}
{ for t in $KVM_TESTS $MM_TESTS gmem_demo; do basename "$t"; done
  printf '%s\n' "$EXTRA_RUNS"
  for t in $KVM_HARNESS_TESTS; do harness_runs "$(basename "$t")"; done; } > "$OUT/tests.list"

[ "$(tree_state)" = "$before" ] || die "the build changed $TREE: $(tree_state)"
say "$(wc -l < "$OUT/tests.list") runs in $OUT/tests.list"
