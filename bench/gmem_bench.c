// SPDX-License-Identifier: GPL-2.0
/*
 * guest_memfd with 4K and with HugeTLB pages (GUEST_MEMFD_FLAG_HUGE_PAGES),
 * and a HugeTLB memfd for comparison, 1 GiB at a time: population with
 * fallocate(), teardown with close() (until the HugeTLB pool is back), and
 * the fault-in by a vCPU that writes to every 4K page of a private
 * guest_memfd memslot of a KVM_X86_SW_PROTECTED_VM (KVM_RUN, then KVM's
 * stage-2 mapping counts).  And, from the
 * kernel's benchmark (CONFIG_HUGEPAGE_ALLOC_BENCH), the rate of zeroing
 * HugeTLB pages and the cost of allocating a folio through hugepage_alloc
 * against hugetlb_alloc_folio() directly.
 *
 *   gmem_bench [RUNS]	default 5
 *
 * Each is run RUNS + 1 times; the first, a warm-up, only has its own column.
 * Prints a markdown table of the results and one of the benchmark issue's
 * targets, each line behind "md ", and a "dat GROUP NAME MEDIAN MIN MAX"
 * line per row for the plot.
 */
#define _GNU_SOURCE
#include <linux/memfd.h>
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/kvm.h>

#include "vmm.h"

#define SIZE		(1UL << 30)	/* of each file, and of the guest's memory */
#define GMEM_GPA	(1UL << 30)	/* 1G..2G: below 4G, as the guest has no paging */
#define MAX_RUNS	99
#define KBENCH		"/sys/kernel/debug/hugepage_alloc_bench"

struct backing {
	const char *name;
	int log2;	/* page size */
	int gmem;	/* guest_memfd, else memfd_create(MFD_HUGETLB) */
};

static const struct backing backings[] = {
	{ "guest_memfd 4K", 12, 1 }, { "guest_memfd 2M", 21, 1 },
	{ "guest_memfd 1G", 30, 1 },	/* the NR_GMEM first ones */
	{ "memfd HugeTLB 2M", 21, 0 }, { "memfd HugeTLB 1G", 30, 0 },
};
#define NR_BACKINGS	(sizeof(backings) / sizeof(backings[0]))
#define NR_GMEM		3

struct result {
	double v[MAX_RUNS + 1];	/* [0]: the warm-up */
	char note[64];
	double median;
};

/* The page sizes of the in-kernel benchmark, and its results. */
static const struct ksize {
	int log2;
	const char *zero, *name;
} ksizes[] = { { 21, "zeroing 2M (in kernel)", "2M (in kernel)" },
	       { 30, "zeroing 1G (in kernel)", "1G (in kernel)" } };
#define NR_KSIZES	2
static struct result kzero[NR_KSIZES], khugetlb[NR_KSIZES],
		     khugetlb_zero[NR_KSIZES], kha[NR_KSIZES], kextra[NR_KSIZES],
		     koverhead[NR_KSIZES];

static int kvm, runs;
static char code[0x10000] __attribute__((aligned(4096)));	/* GPA 0 */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Wait for the pool to be back to @free0 and @resv0; was it at once? */
static int wait_pool(int log2, long free0, long resv0)
{
	double t0 = now();
	int at_once = 1;

	while (pool(log2, "free_hugepages") != free0 ||
	       pool(log2, "resv_hugepages") != resv0) {
		if (now() - t0 > 60)
			errx(1, "the 2^%d pool is not back after 60s", log2);
		at_once = 0;
		usleep(100);
	}
	return at_once;
}

/* A 1 GiB file of @b, for @vm if it is a guest_memfd. */
static int create(int vm, const struct backing *b, unsigned long flags)
{
	struct kvm_create_guest_memfd gmem = { .size = SIZE, .flags = flags };
	int fd;

	if (b->log2 > 12) {
		gmem.flags |= GUEST_MEMFD_FLAG_HUGE_PAGES;
		gmem.huge_page_size_log2 = b->log2;
	}
	if (b->gmem)
		fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	else
		fd = memfd_create("bench", MFD_HUGETLB | b->log2 << MFD_HUGE_SHIFT);
	if (fd < 0 || (!b->gmem && ftruncate(fd, SIZE)))
		err(1, "creating a file of %s", b->name);
	return fd;
}

/* fallocate() and close() of a file of @b, as run @i; was the pool back at once? */
static int populate(int vm, const struct backing *b, int i, struct result *fill,
		    struct result *drop)
{
	long free0 = pool(b->log2, "free_hugepages"), resv0 = pool(b->log2, "resv_hugepages");
	int fd = create(vm, b, 0), at_once;
	double t = now();

	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, SIZE))
		err(1, "fallocate %s", b->name);
	fill->v[i] = (double)SIZE / (1UL << 30) / (now() - t);
	t = now();
	close(fd);
	at_once = wait_pool(b->log2, free0, resv0);
	drop->v[i] = (now() - t) * 1e3;
	return at_once;
}

/* Run the guest (it writes every 4K page of the memslot at GMEM_GPA). */
static double run_guest(int vm)
{
	int vcpu, run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run;
	double t;

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (vcpu < 0 || run == MAP_FAILED)
		err(1, "KVM_CREATE_VCPU");
	vcpu_flat32(vcpu, CODE_GPA);

	t = now();
	if (ioctl(vcpu, KVM_RUN, 0))
		err(1, "KVM_RUN");
	t = now() - t;
	if (run->exit_reason != KVM_EXIT_HLT)
		errx(1, "guest exit %u, expected HLT", run->exit_reason);

	munmap(run, run_size);
	close(vcpu);
	return t;
}

/* A VM whose vCPU touches 1 GiB of guest_memfd of @b, runs times. */
static void fault_in(const struct backing *b, struct result *res)
{
	long free0 = pool(b->log2, "free_hugepages"), resv0 = pool(b->log2, "resv_hugepages");
	struct kvm_userspace_memory_region2 slot0 = { .slot = 0, .memory_size = sizeof(code),
						      .userspace_addr = (unsigned long)code };
	struct kvm_userspace_memory_region2 slot = {
		.slot = 1, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GMEM_GPA,
		.memory_size = SIZE,
	};
	int i, vm, stats_fd;

	printf("# %s: guest fault-in\n", b->name);
	for (i = 0; i <= runs; i++) {
		vm = vm_create_private(kvm);
		stats_fd = ioctl(vm, KVM_GET_STATS_FD, 0);
		if (stats_fd < 0)
			err(1, "KVM_GET_STATS_FD");
		slot.guest_memfd = create(vm, b, 0);
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &slot0) ||
		    ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &slot))
			err(1, "KVM_SET_USER_MEMORY_REGION2");
		set_private(vm, GMEM_GPA, SIZE);

		res->v[i] = run_guest(vm) * 1e3;
		snprintf(res->note, sizeof(res->note), "stage-2 maps 4K/2M/1G: %lu/%lu/%lu",
			 stat(stats_fd, "pages_4k"), stat(stats_fd, "pages_2m"),
			 stat(stats_fd, "pages_1g"));

		close(slot.guest_memfd);
		close(stats_fd);
		close(vm);
		wait_pool(b->log2, free0, resv0);
	}
}

/* Run KBENCH as run @i: one line per page size, see its source. */
static void kernel_bench(int i)
{
	unsigned long bytes, loops;
	double zero, ht, htz, ha;
	int k, log2, e, seen;
	char line[256];
	FILE *f;

	f = fopen(KBENCH, "w");		/* a write runs it */
	if (!f || fputs("1\n", f) == EOF || fclose(f))
		err(1, KBENCH " (CONFIG_HUGEPAGE_ALLOC_BENCH)");
	f = fopen(KBENCH, "r");
	if (!f)
		err(1, KBENCH);
	for (seen = 0; fgets(line, sizeof(line), f); seen |= 1 << k) {
		e = 0;
		if (sscanf(line, "# %d %d", &log2, &e) != 2 &&
		    sscanf(line, "%d %lu %lf %lu %lf %lf %lf", &log2, &bytes, &zero,
			   &loops, &ht, &htz, &ha) != 7)
			errx(1, KBENCH ": unexpected line: %s", line);
		for (k = 0; k < NR_KSIZES && ksizes[k].log2 != log2; k++)
			;
		if (k == NR_KSIZES)	/* a size this benchmark does not report */
			continue;
		if (e)
			errx(1, KBENCH ": 2^%d pages: error %d", log2, e);
		kzero[k].v[i] = bytes / (double)(1UL << 30) / (zero * 1e-9);
		khugetlb[k].v[i] = ht * 1e-3;
		khugetlb_zero[k].v[i] = htz * 1e-3;
		kha[k].v[i] = ha * 1e-3;
		kextra[k].v[i] = (ha - htz) * 1e-3;
		koverhead[k].v[i] = (ha / htz - 1) * 100;
	}
	fclose(f);
	if ((seen & ((1 << NR_KSIZES) - 1)) != (1 << NR_KSIZES) - 1)
		errx(1, KBENCH ": no line for 2M or 1G pages");
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(const char *what, const char *group, const char *unit,
		   const char *name, struct result *r)
{
	double *v = r->v + 1;

	qsort(v, runs, sizeof(*v), cmp);
	r->median = v[runs / 2];
	printf("md | %s | %s | %.2f | %.2f to %.2f | %.2f | %s | %s |\n", what, name,
	       r->median, v[0], v[runs - 1], r->v[0], unit, r->note);
	if (group)
		printf("dat %s \"%s\" %g %g %g\n", group, name, r->median, v[0],
		       v[runs - 1]);
}

static void target(const char *what, double measured, const char *unit, double min,
		   double max)
{
	printf("md | %s | %.2f%s | %s |\n", what, measured, unit,
	       measured >= min && measured <= max ? "yes" : "**no**");
}

int main(int argc, char **argv)
{
	static struct result fill[NR_BACKINGS], drop[NR_BACKINGS], touch[NR_GMEM];
	int i, j, vm, at_once[NR_BACKINGS] = { 0 };

	runs = argc > 1 ? atoi(argv[1]) : 5;
	if (runs < 1 || runs > MAX_RUNS)
		errx(1, "RUNS: 1 to %d", MAX_RUNS);
	kvm = kvm_open();
	guest_code(code, GMEM_GPA, SIZE);

	/*
	 * Population, teardown and the in-kernel benchmark take turns in each
	 * run, so that a drift of the machine's speed does not skew their
	 * ratios.  One VM for the guest_memfds that are only populated.
	 */
	vm = vm_create_private(kvm);
	for (i = 0; i <= runs; i++) {
		printf("# run %d of %d: population, teardown, in-kernel\n", i, runs);
		for (j = 0; j < NR_BACKINGS; j++)
			at_once[j] += populate(vm, &backings[j], i, &fill[j], &drop[j]);
		kernel_bench(i);
	}
	close(vm);
	for (j = 0; j < NR_BACKINGS; j++)
		if (pool(backings[j].log2, "free_hugepages") >= 0)
			snprintf(drop[j].note, sizeof(drop[j].note),
				 "pool back when close() returned: %d of %d", at_once[j],
				 runs + 1);
	for (i = 0; i < NR_GMEM; i++)
		fault_in(&backings[i], &touch[i]);

	printf("md | measurement | backing | median | min to max | warm-up | unit | notes |\n");
	printf("md | --- | --- | ---: | ---: | ---: | --- | --- |\n");
	for (i = 0; i < NR_BACKINGS; i++)
		report("population: fallocate()", "fill", "GiB/s", backings[i].name, &fill[i]);
	for (i = 0; i < NR_KSIZES; i++)
		report("zeroing: folio_zero_user()", "fill", "GiB/s", ksizes[i].zero, &kzero[i]);
	for (i = 0; i < NR_BACKINGS; i++)
		report("teardown: close()", "drop", "ms", backings[i].name, &drop[i]);
	for (i = 0; i < NR_GMEM; i++)
		report("guest fault-in: KVM_RUN", "touch", "ms", backings[i].name, &touch[i]);
	for (i = 0; i < NR_KSIZES; i++) {
		report("alloc+free: hugetlb_alloc_folio()", NULL, "us", ksizes[i].name,
		       &khugetlb[i]);
		report("alloc+free: hugetlb_alloc_folio() + folio_zero_user()", NULL, "us",
		       ksizes[i].name, &khugetlb_zero[i]);
		report("alloc+free: hugepage_alloc_folio() (zeroes)", NULL, "us",
		       ksizes[i].name, &kha[i]);
		report("library's extra time: hugepage_alloc - (hugetlb + zeroing)", NULL,
		       "us", ksizes[i].name, &kextra[i]);
		report("library overhead: hugepage_alloc / (hugetlb + zeroing) - 1",
		       "overhead", "%", ksizes[i].name, &koverhead[i]);
	}

	/* The targets of the benchmark issue, from the medians above. */
	printf("md\nmd | target | measured | met |\nmd | --- | ---: | --- |\n");
	target("2M guest_memfd population >= 0.95x memfd HugeTLB 2M",
	       fill[1].median / fill[3].median, "x", 0.95, 1e9);
	target("2M guest_memfd population >= 0.8x in-kernel zeroing of 2M pages",
	       fill[1].median / kzero[0].median, "x", 0.8, 1e9);
	target("2M guest_memfd population >= 3x guest_memfd 4K",
	       fill[1].median / fill[0].median, "x", 3, 1e9);
	for (i = 0; i < NR_KSIZES; i++) {
		char what[96];

		snprintf(what, sizeof(what), "library overhead <= 5%% of alloc+zero+free, %s",
			 ksizes[i].name);
		target(what, koverhead[i].median, "%", -1e9, 5);
	}
	return 0;
}
