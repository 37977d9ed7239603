#!/usr/bin/env bash
# Every test: the series checks (check.sh, which also builds the VM
# kernel), the KUnit suite with kunit.py on QEMU, on that kernel
# (kunit.sh), and the selftests in a VM (selftests.sh, vm-run.sh).
# Prints each stage with its time and ends with "N passed, N failed";
# exits non-zero on any failure or on a stage that ended without its
# results.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/logs"
pass=0 fail=0 skip=0 t0=$SECONDS
stage() {	# stage NAME PARSER CMD...: run CMD, add up its results
	local name=$1 parse=$2 log=$WORK/logs/$1.log t=$SECONDS rc=0 r
	shift 2
	say "stage $name"
	"$@" >"$log" 2>&1 || rc=$?
	read -r p f s < <($parse "$log")
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1	# failed without saying what
	[ "$parse" = none ] || [ $((p + f + s)) -gt 0 ] || f=1	# no results
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '==> stage %s: %d passed, %d failed, %d skipped in %ds (exit %d, log %s)\n' \
		"$name" "$p" "$f" "$s" $((SECONDS - t)) "$rc" "$log"
	[ "$rc" -eq 0 ] || { grep -E '^not ok|FAIL|error|TIMEOUT|splat|INFO: task|rcu: INFO|soft lockup|Kernel panic|# \[|gmem_stress: ' "$log" | tail -n 30 || true; }
}
tap() { awk '/^ok / { if (/# SKIP/) s++; else p++ } /^not ok / { f++ }
	END { print p + 0, f + 0, s + 0 }' "$1"; }
kunit() { sed -n 's/.*Ran [0-9]* tests\?: \(.*\)/\1/p' "$1" | tail -n 1 |
	awk -F', ' '{ for (i = 1; i <= NF; i++) { split($i, a, ": "); r[a[1]] = a[2] } }
	END { print r["passed"] + 0, r["failed"] + r["crashed"] + 0, r["skipped"] + 0 }'; }
vm() { sed -n 's/^vm-run: \([0-9]*\) passed, \([0-9]*\) skipped, \([0-9]*\) failed, \([0-9]*\) missing.*/\1 \3 \2 \4/p' "$1" |
	awk '{ print $1, $2 + $4, $3 } END { if (!NR) print 0, 0, 0 }'; }
none() { echo 0 0 0; }

"$TOP/scripts/deps.sh"
stage check tap "$TOP/scripts/check.sh"
stage kunit kunit "$TOP/scripts/kunit.sh"
stage selftests-build none "$TOP/scripts/selftests.sh"
# punch_refault_race for 20s a size instead of 60s.
stage vm vm "$TOP/scripts/vm-run.sh" 'GMEM_HUGETLB_RACE_SECONDS=20 run-tests'
# The 2M pool in ZONE_MOVABLE: guest_memfd must not reserve what it cannot take.
stage vm-movable vm "$TOP/scripts/vm-run.sh" --cmdline movablecore=4G \
	'run-tests gmem_movable'
# Stress: guest_memfd, hugetlbfs, cgroup moves and SIGKILL on each pool, 40s
# a size; then the KUnit suite on the VM kernel (whose kmemleak scan at the
# end covers it), from debugfs, under failslab and fail_page_alloc (its
# fault-injection cases: each allocation in turn, and at 10% and 50%), and
# gmem_stress's guest_memfd operations at 5% and 25%, 30s a size.  Not at
# boot: a rerun from debugfs keeps skipping a case that was skipped before.
stage stress vm "$TOP/scripts/vm-run.sh" --timeout 1200 \
	--cmdline "kunit.enable=1 kunit.autorun=0 kunit.filter_glob=hugepage_alloc" \
	'TEST_TIMEOUT=300 run-tests "gmem_stress 40" "fault-inject kunit 10" "fault-inject kunit 50" \
		"fault-inject stress 5 30" "fault-inject stress 25 30"'
say "all stages in $((SECONDS - t0))s"
echo "$pass passed, $fail failed${skip:+, $skip skipped}" | sed 's/, 0 skipped$//'
[ "$fail" -eq 0 ]
