#!/usr/bin/env bash
# The benchmark: build bench/gmem_bench.c statically against the patched
# kernel's uAPI headers, run it once in the VM (scripts/vm-run.sh) with 600
# 2M pages and the guest's memory backed before the boot, and write its
# tables to results/bench.md and a plot to results/bench.png.  Builds its
# own kernel (configs/vm.config only) from $WORK/linux (make apply).
# Arguments go to gmem_bench (default: 5 runs).
. "$(dirname "$0")/lib.sh"

# Its own kernel, without the debug options of the test kernels (KASAN...).
O=${O:-$WORK/build/bench-kernel} out=$WORK/build/bench res=$TOP/results
mkdir -p "$out" "$res"
O=$O CONFIGS=vm "$TOP/scripts/build.sh"
(cd "$TREE" && "${KMAKE[@]}" O="$O" headers_install)
gcc -static -O2 -Wall -Werror -isystem "$O/usr/include" -I"$TOP/demo" \
	-o "$out/gmem_bench" "$TOP/bench/gmem_bench.c"
O=$O "$TOP/scripts/vm-run.sh" --prealloc --timeout 1500 --file "$out/gmem_bench" \
	--pools "hugepagesz=2M hugepages=600 hugepagesz=1G hugepages=0:1,1:1" \
	"gmem_bench $*" | tee "$out/vm.log"

kernel=$(sed -n 's/^vm-run: \([^ ,]*\), .*cpus.*/\1/p' "$out/vm.log")
{
	echo "Linux $kernel under QEMU TCG (nested SVM, 2 vCPUs) on $(nproc) host" \
		"CPUs, $(date -u +%F).  Under TCG the absolute numbers are not" \
		"hardware numbers: the ratios between the rows are the claim." \
		"1 GiB each time (the parallel rows: N GiB, N = the VM's CPUs);" \
		"median and range of ${1:-5} runs after a warm-up run; the" \
		"stage-2 counts include the guest's code page; the MAP_HUGETLB" \
		"rows are shared memslots of the same SW-protected VM type; the" \
		"mmap rows map guest_memfds of a default VM (MMAP, INIT_SHARED); the" \
		"kernel has no debug options (configs/vm.config only)."
	echo
	sed -n 's/^md \{0,1\}//p' "$out/vm.log"
} > "$res/bench.md"
sed -n 's/^dat //p' "$out/vm.log" > "$out/bench.dat"
gnuplot <<EOF
set terminal pngcairo size 2400,460 font ",10" noenhanced
set output "$res/bench.png"
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -30 nomirror
set grid ytics
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.05, 0
set multiplot layout 1,6
plot_group(g) = sprintf("< grep '^%s ' '$out/bench.dat'", g)
set title "population: fallocate() of 1 GiB; zeroing (GiB/s)"
plot plot_group("fill") using 0:3:4:5:(0.35):xtic(2) with boxerrorbars lc 2 notitle
set logscale y; set yrange [0.1:*]
set title "teardown: close() of 1 GiB (ms, log scale)"
plot plot_group("drop") using 0:3:4:5:(0.35):xtic(2) with boxerrorbars lc 4 notitle
set title "guest fault-in of 1 GiB: KVM_RUN (ms, log scale)"
plot plot_group("touch") using 0:3:4:5:(0.35):xtic(2) with boxerrorbars lc 7 notitle
unset logscale y; set yrange [0:*]
set title "parallel fault-in of N 1G pages: time(N) / time(1)"
plot plot_group("parallel") using 0:3:4:5:(0.35):xtic(2) with boxerrorbars lc 3 notitle, \
	1 with lines dt 2 lc 0 title "fully parallel: 1x"
set title "mmap population of 1 GiB: a write a 4K page (GiB/s)"
plot plot_group("mmap") using 0:3:4:5:(0.35):xtic(2) with boxerrorbars lc 5 notitle
set yrange [*:*]
set title "library overhead over hugetlb + zeroing (%)"
plot plot_group("overhead") using 0:3:4:5:(0.35):xtic(2) with boxerrorbars lc 6 notitle, \
	5 with lines dt 2 lc 0 title "target: 5%"
unset multiplot
EOF
say "results/bench.md, results/bench.png:" && cat "$res/bench.md"
