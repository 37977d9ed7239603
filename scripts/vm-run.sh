#!/usr/bin/env bash
# Boot the VM kernel ($O, default $WORK/build/vm) in qemu (TCG; AMD EPYC with
# SVM+NPT so kvm_amd loads; 2 NUMA nodes; HugeTLB pools of 2M and 1G pages)
# from a busybox initramfs with the KVM modules and the tests of
# scripts/selftests.sh in /tests, and run a shell command there (default:
# run-tests, i.e. all of them; tests/vm/init and tests/vm/run-tests).
#
#   scripts/vm-run.sh [--cmdline ARGS] [--pools ARGS] [--timeout SECS]
#                     [--file PATH]... [CMD...]
#
#   --cmdline ARGS   added to the kernel command line
#   --pools ARGS     the HugeTLB pools (default: 64 2M pages, one 1G page a
#                    node): a second hugepagesz=2M in --cmdline is ignored
#   --timeout SECS   kill the guest after SECS (default 1800)
#   --prealloc       back all guest memory before the boot, so that nothing
#                    pays for QEMU's first touch of a page (benchmarks)
#   --file PATH      copy PATH into /tests (in $PATH in the guest); repeatable
#   CMD...           a shell command line, e.g. 'run-tests "hugetlb-mmap 4 21"'
#
# The console goes to stdout and $WORK/logs/vm-run-*.log.  Verdict: if the
# guest printed a KTAP plan (run-tests does), every planned result must be
# there and none "not ok"; otherwise CMD must exit 0.  A kernel splat
# (BUG:/WARNING:/Oops/panic, a bad page table entry), a failed setup (no
# /dev/kvm) or a guest that does not power off fails too.
. "$(dirname "$0")/lib.sh"

K=${O:-$WORK/build/vm}	# the kernel build, as in build.sh
ST=$WORK/build/selftests
# A panic (an NMI from vm-run on a hang, a hung task) prints every CPU's
# backtrace and the locks held.
CMDLINE="console=ttyS0 panic=-1 kunit.enable=0 printk.devkmsg=on"
CMDLINE+=" unknown_nmi_panic panic_sys_info=all_bt,blocked_tasks,locks"
POOLS="hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=0:1,1:1"
TIMEOUT=1800
MEM=""
# SVM with nested paging for kvm_amd; 1G pages; minus what TCG lacks (quiet).
CPU=EPYC,+svm,+npt,+pdpe1gb,-rdseed,-sha-ni,-fxsr-opt,-misalignsse,-3dnowprefetch
CPU+=,-osvw,-topoext,-nrip-save,-xsavec
FILES=()
while [ $# -gt 0 ]; do
	case $1 in
	--cmdline) CMDLINE+=" $2"; shift 2 ;;
	--pools) POOLS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--prealloc) MEM+=,prealloc=on; shift ;;
	--file) FILES+=("$2"); shift 2 ;;
	-h|--help) sed -n '2,/^\. /s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
CMD=${*:-run-tests}

# The initramfs: busybox, /init, the modules, /tests, and the command in /cmd.
mkdir -p "$WORK/build" "$WORK/logs"
R=$(mktemp -d "$WORK/build/vm-run.XXXXXX")
trap 'rm -rf "$R"' EXIT
mkdir -p "$R"/root/{bin,lib/modules,tests,usr/bin}
cp /bin/busybox "$R/root/bin/"
# What the upstream hugetlb test scripts need beyond busybox: bash, and
# pgrep and killall --wait (procps, psmisc), with their libraries.
for b in /bin/bash "$(command -v pgrep)" "$(command -v killall)"; do
	cp "$b" "$R/root/usr/bin/"
	ldd "$b" | grep -o '/[^ ]*' | xargs -I{} cp -L --parents {} "$R/root/"
done
ln -s /usr/bin/bash "$R/root/bin/bash"
cp "$TOP/tests/vm/init" "$R/root/init"
cp "$TOP/tests/vm/run-tests" "$R/root/tests/"
cp "$K"/virt/lib/irqbypass.ko "$K"/arch/x86/kvm/{kvm,kvm-amd}.ko "$R/root/lib/modules/"
if [ -d "$ST/bin" ]; then
	cp -r "$ST/bin" "$ST/tests.list" "$R/root/tests/"
else
	say "no selftests in $ST: run scripts/selftests.sh"
fi
[ ${#FILES[@]} -eq 0 ] || cp -r "${FILES[@]}" "$R/root/tests/"
printf '%s\n' "$CMD" > "$R/root/cmd"
(cd "$R/root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$R/initramfs.cpio.gz"

LOG=$WORK/logs/vm-run-$(date +%Y%m%d-%H%M%S)-$$.log
say "booting $K/arch/x86/boot/bzImage; log: $LOG"
start=$SECONDS
# One socket per NUMA node (else the kernel warns about the topology).  Node 0
# is 0-3G and 4G-7G, node 1 7G-10G: each keeps a free 1G range for its
# boot-time 1G page once the kernel's early allocations are made.
# --foreground: qemu may read the terminal (it is the guest's console).
# sed: CRs and SeaBIOS's terminal resets out.
# On a hang, before the kill: where each vCPU is (symbolized), then an NMI,
# on which the guest panics with its backtraces (CMDLINE).
hang_dump() {
	sleep "$TIMEOUT"
	touch "$R/hung"
	echo "vm-run: no power-off after ${TIMEOUT}s: the vCPUs, then an NMI"
	python3 - "$R/mon" "$K/System.map" <<'EOF'
import bisect, re, socket, sys, time
syms = sorted((int(a, 16), n) for a, t, n in (l.split()[:3] for l in open(sys.argv[2])))
addrs = [a for a, _ in syms]
mon = socket.socket(socket.AF_UNIX)
mon.connect(sys.argv[1])
mon.settimeout(3)
def hmp(cmd):
    mon.sendall(cmd.encode() + b"\n")
    out = b""
    try:
        while True:
            out += mon.recv(1 << 16)
    except OSError:
        return out.decode(errors="replace")
hmp("")
for sample in range(3):
    for cpu, rip in enumerate(re.findall(r"RIP=([0-9a-f]{16})", hmp("info registers -a"))):
        i = bisect.bisect(addrs, int(rip, 16)) - 1
        sym = "%s+0x%x" % (syms[i][1], int(rip, 16) - addrs[i]) if i >= 0 else "?"
        print("vm-run: sample %d cpu %d rip %s %s" % (sample, cpu, rip, sym), flush=True)
    time.sleep(1)
hmp("nmi")
EOF
}
hang_dump > >(tee -a "$LOG") 2>&1 & dump=$!
set +e
timeout --foreground -k 10 $((TIMEOUT + 60)) qemu-system-x86_64 -nographic -no-reboot \
	-monitor unix:"$R/mon",server=on,wait=off \
	-accel tcg,thread=multi -cpu "$CPU" -smp 2,sockets=2 -m 9G \
	-object memory-backend-ram,id=m0,size=6G$MEM -numa node,nodeid=0,cpus=0,memdev=m0 \
	-object memory-backend-ram,id=m1,size=3G$MEM -numa node,nodeid=1,cpus=1,memdev=m1 \
	-kernel "$K/arch/x86/boot/bzImage" -initrd "$R/initramfs.cpio.gz" \
	-append "$CMDLINE $POOLS" 2>&1 | sed -u 's/\r$//; s/\x1b\(c\|\[[0-9;?]*[a-zA-Z]\)//g' | tee "$LOG"
rc=${PIPESTATUS[0]}
{ pkill -P $dump; kill $dump; } 2>/dev/null
set -e
[ ! -e "$R/hung" ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] ||
	echo "vm-run: TIMEOUT: the guest did not power off within ${TIMEOUT}s (hung?)" | tee -a "$LOG"
echo "vm-run: qemu exit code $rc after $((SECONDS - start))s" | tee -a "$LOG"

# The verdict, from the log only.
awk -v logf="$LOG" -v qemu="$rc" '
	/^1\.\.[0-9]+$/ { plan += substr($0, 4); tap = 1 }
	/^ok [0-9]+ / { if (/ # SKIP/) skip++; else pass++ }
	/^not ok [0-9]+ / { fail++; sub(/^not ok [0-9]+ /, ""); failed = failed " [" $0 "]" }
	/^(BUG:|WARNING:|Oops|Kernel panic|UBSAN:|INFO: task .* blocked|unreferenced object|kmemleak: .*suspected memory leak)|: bad p(gd|4d|ud|md|te)[ (]/ {
		splat++; if (!first) first = $0 }
	/^vm-run: exit code [0-9]+$/ { exit_code = $4 }
	/^vm-run: ERROR/ { setup++ }
	END {
		if (first) printf "vm-run: %d kernel splat(s), first: %s\n", splat, first
		if (setup) printf "vm-run: FAIL: %d setup error(s), see the vm-run: ERROR lines\n", setup
		if (tap) {
			missing = plan - pass - skip - fail
			printf "vm-run: %d passed, %d skipped, %d failed, %d missing of %d (log: %s)\n",
				pass, skip, fail, missing, plan, logf
			if (fail) printf "vm-run: failed:%s\n", failed
			bad = fail || missing || exit_code == ""
		} else if (exit_code == "") {
			printf "vm-run: FAIL: the command did not finish (log: %s)\n", logf; bad = 1
		} else {
			printf "vm-run: command exit code %d (log: %s)\n", exit_code, logf
			bad = exit_code != 0
		}
		exit bad || splat || setup || qemu != 0
	}' "$LOG" | tee -a "$LOG"
exit "${PIPESTATUS[0]}"
