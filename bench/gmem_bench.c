// SPDX-License-Identifier: GPL-2.0
/*
 * guest_memfd with 4K and with HugeTLB pages (GUEST_MEMFD_FLAG_HUGE_PAGES),
 * and a HugeTLB memfd for comparison, 1 GiB at a time:
 *
 * - populate: population with fallocate(), teardown with close() (until
 *   the HugeTLB pool is back), and, from the kernel's benchmark
 *   (CONFIG_HUGEPAGE_ALLOC_BENCH), the rate of zeroing HugeTLB pages and
 *   the cost of allocating a folio through hugepage_alloc against
 *   hugetlb_alloc_folio() directly;
 * - fault: the fault-in by a vCPU that writes to every 4K page of a
 *   private guest_memfd memslot of a KVM_X86_SW_PROTECTED_VM (KVM_RUN,
 *   then KVM's stage-2 mapping counts), and of the baseline VMMs use now:
 *   a shared memslot of the same VM type whose userspace_addr is a
 *   MAP_SHARED mapping of a HugeTLB memfd (2M or 1G) that nothing touches
 *   before the guest, so that its allocation and zeroing are in KVM_RUN too;
 * - parallel: with N the number of online CPUs, N vCPUs of a VM, each in
 *   KVM_RUN in its own thread on its own CPU, fault in N distinct 1G pages
 *   of one private guest_memfd of N GiB at once, with one write to each
 *   page, against 1 vCPU of the same VM and file faulting in 1 page; and
 *   N threads N 1G pages of a MAP_SHARED HugeTLB memfd of N GiB, against
 *   1 thread.  The time is from the first start to the last end; the
 *   ratio is time(N) / time(1) of each run.  Needs N (at most 3) free 1G
 *   pages.
 * - mmap: the population of 1 GiB through a MAP_SHARED mapping, one write
 *   to each 4K page, of a 2M and a 1G guest_memfd of a default VM (with
 *   GUEST_MEMFD_FLAG_MMAP and GUEST_MEMFD_FLAG_INIT_SHARED: mapped by PFN,
 *   a huge page per fault) and of a HugeTLB memfd of each size, with the
 *   user faults it took (getrusage()).
 *
 *   gmem_bench [RUNS [SECTION...]]	RUNS default 5; SECTION: populate,
 *					fault, parallel or mmap (default: all)
 *
 * Each is run RUNS + 1 times; the first, a warm-up, only has its own column;
 * in each run, the rows that a target compares take turns (in fault and
 * parallel, in an order that alternates from run to run).  Prints a
 * markdown table of the results and one of the benchmark issues' targets
 * (of the sections run), each line behind "md ", and a
 * "dat GROUP NAME MEDIAN MIN MAX" line per row for the plot.
 */
#define _GNU_SOURCE
#include <linux/memfd.h>
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/falloc.h>
#include <linux/kvm.h>

#include "vmm.h"

#define SIZE		(1UL << 30)	/* of each file, and of the guest's memory */
#define GMEM_GPA	(1UL << 30)	/* 1G..2G: below 4G, as the guest has no paging */
#define MAX_RUNS	99
#define MAX_PAR		3	/* 1G pages below 4G from GMEM_GPA: the parallel N */
#define PAR_CODE(i)	(CODE_GPA + 64 * ((i) + 1))	/* the guest of its vCPU i */
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

/* What the fault-in's memslot is: guest_memfd, or the MAP_HUGETLB baseline. */
static const struct backing faulted[] = {
	{ "guest_memfd 4K", 12, 1 }, { "guest_memfd 2M", 21, 1 },
	{ "guest_memfd 1G", 30, 1 },
	{ "MAP_HUGETLB 2M userspace_addr", 21, 0 },
	{ "MAP_HUGETLB 1G userspace_addr", 30, 0 },
};
#define NR_FAULTED	(sizeof(faulted) / sizeof(faulted[0]))
static const int fault_order[2][NR_FAULTED] = { { 1, 3, 2, 4, 0 }, { 3, 1, 4, 2, 0 } };

/* The parallel fault-in's files: guest_memfd 1G and memfd HugeTLB 1G. */
static const struct backing *const par_backings[] = { &backings[2], &backings[4] };
#define NR_PAR		2

/* The mmap population's files: guest_memfd 2M, 1G; memfd HugeTLB 2M, 1G. */
static const struct backing *const mapped[] = { &backings[1], &backings[2],
						&backings[3], &backings[4] };
#define NR_MAPPED	4
static const int mmap_order[2][NR_MAPPED] = { { 0, 2, 1, 3 }, { 2, 0, 3, 1 } };

enum { POPULATE = 1, FAULT = 2, PARALLEL = 4, MMAP = 8 };
static const char *const sections[] = { "populate", "fault", "parallel", "mmap" };
#define NR_SECTIONS	4

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

static int kvm, runs, mmap_vm = -1;	/* mmap_vm: a default VM */
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

/* A file of @size bytes of @b, for @vm if it is a guest_memfd. */
static int create(int vm, const struct backing *b, unsigned long size)
{
	struct kvm_create_guest_memfd gmem = { .size = size };
	int fd;

	if (vm == mmap_vm)
		gmem.flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	if (b->log2 > 12) {
		gmem.flags |= GUEST_MEMFD_FLAG_HUGE_PAGES;
		gmem.huge_page_size_log2 = b->log2;
	}
	if (b->gmem)
		fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	else
		fd = memfd_create("bench", MFD_HUGETLB | b->log2 << MFD_HUGE_SHIFT);
	if (fd < 0 || (!b->gmem && ftruncate(fd, size)))
		err(1, "creating a file of %s", b->name);
	return fd;
}

/* fallocate() and close() of a file of @b, as run @i; was the pool back at once? */
static int populate(int vm, const struct backing *b, int i, struct result *fill,
		    struct result *drop)
{
	long free0 = pool(b->log2, "free_hugepages"), resv0 = pool(b->log2, "resv_hugepages");
	int fd = create(vm, b, SIZE), at_once;
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

/* A MAP_SHARED mapping of @size bytes of the HugeTLB memfd @fd of @b. */
static char *map(int fd, const struct backing *b, unsigned long size)
{
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (mem == MAP_FAILED)
		err(1, "mmap of %s", b->name);
	if ((unsigned long)mem & ((1UL << b->log2) - 1))
		errx(1, "mmap of %s: %p is not aligned to its pages", b->name, mem);
	return mem;
}

struct guest {
	int vm, stats_fd, fd;	/* fd: the file of its memory */
	char *mem;		/* the file's mapping, if it is not a guest_memfd */
	unsigned long size;
};

/*
 * A new VM with the guest's code in slot 0 and @size bytes of a new file of
 * @b at GMEM_GPA in slot 1: private guest_memfd, or a shared memslot on a
 * MAP_SHARED mapping of the HugeTLB memfd, untouched.
 */
static void guest_create(struct guest *g, const struct backing *b, unsigned long size)
{
	struct kvm_userspace_memory_region2 slot0 = { .slot = 0, .memory_size = sizeof(code),
						      .userspace_addr = (unsigned long)code };
	struct kvm_userspace_memory_region2 slot = {
		.slot = 1, .guest_phys_addr = GMEM_GPA, .memory_size = size,
	};

	g->vm = vm_create_private(kvm);
	g->stats_fd = ioctl(g->vm, KVM_GET_STATS_FD, 0);
	if (g->stats_fd < 0)
		err(1, "KVM_GET_STATS_FD");
	g->fd = create(g->vm, b, size);
	g->mem = NULL;
	g->size = size;
	if (b->gmem) {
		slot.flags = KVM_MEM_GUEST_MEMFD;
		slot.guest_memfd = g->fd;
	} else {
		g->mem = map(g->fd, b, size);
		slot.userspace_addr = (unsigned long)g->mem;
	}
	if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION2, &slot0) ||
	    ioctl(g->vm, KVM_SET_USER_MEMORY_REGION2, &slot))
		err(1, "KVM_SET_USER_MEMORY_REGION2");
	if (b->gmem)
		set_private(g->vm, GMEM_GPA, size);
}

/* KVM's stage-2 mapping counts of @g: 4K, 2M and 1G. */
static void stage2(struct guest *g, unsigned long maps[3])
{
	maps[0] = stat(g->stats_fd, "pages_4k");
	maps[1] = stat(g->stats_fd, "pages_2m");
	maps[2] = stat(g->stats_fd, "pages_1g");
}

static void guest_destroy(struct guest *g)
{
	close(g->stats_fd);
	close(g->vm);
	if (g->mem)
		munmap(g->mem, g->size);
	close(g->fd);
}

struct vcpu {
	int fd, run_size;
	struct kvm_run *run;
};

/* vCPU @id of @vm, to run the guest at @rip. */
static void vcpu_create(int vm, int id, unsigned long rip, struct vcpu *v)
{
	v->run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->fd = ioctl(vm, KVM_CREATE_VCPU, id);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->fd < 0 || v->run == MAP_FAILED)
		err(1, "KVM_CREATE_VCPU");
	vcpu_flat32(v->fd, rip);
}

/* KVM_RUN until the guest halts. */
static void vcpu_run(struct vcpu *v)
{
	if (ioctl(v->fd, KVM_RUN, 0))
		err(1, "KVM_RUN");
	if (v->run->exit_reason != KVM_EXIT_HLT)
		errx(1, "guest exit %u, expected HLT", v->run->exit_reason);
}

static void vcpu_destroy(struct vcpu *v)
{
	munmap(v->run, v->run_size);
	close(v->fd);
}

/*
 * The KVM_RUN time, in ms, of a new VM whose vCPU writes to every 4K page of
 * a 1 GiB memslot of @b; its stage-2 mapping counts in @maps.
 */
static double fault_in(const struct backing *b, unsigned long maps[3])
{
	long free0 = pool(b->log2, "free_hugepages"), resv0 = pool(b->log2, "resv_hugepages");
	struct guest g;
	struct vcpu v;
	double t;

	guest_create(&g, b, SIZE);
	vcpu_create(g.vm, 0, CODE_GPA, &v);
	t = now();
	vcpu_run(&v);
	t = (now() - t) * 1e3;
	stage2(&g, maps);
	vcpu_destroy(&v);
	guest_destroy(&g);
	wait_pool(b->log2, free0, resv0);
	return t;
}

/*
 * The rate, in GiB/s, of one write to each 4K page of a new MAP_SHARED
 * mapping of a 1 GiB file of @b, a guest_memfd of mmap_vm or a HugeTLB
 * memfd, and in *@faults the user faults it took.
 */
static double mmap_populate(const struct backing *b, long *faults)
{
	long free0 = pool(b->log2, "free_hugepages"), resv0 = pool(b->log2, "resv_hugepages");
	int fd = create(mmap_vm, b, SIZE);
	char *mem = map(fd, b, SIZE);
	struct rusage ru0, ru1;
	unsigned long off;
	double t;

	getrusage(RUSAGE_SELF, &ru0);
	t = now();
	for (off = 0; off < SIZE; off += 4096)
		*(volatile char *)(mem + off) = 1;
	t = now() - t;
	getrusage(RUSAGE_SELF, &ru1);
	*faults = ru1.ru_minflt - ru0.ru_minflt;
	munmap(mem, SIZE);
	close(fd);
	wait_pool(b->log2, free0, resv0);
	return (double)SIZE / (1UL << 30) / t;
}

/* A thread of the parallel fault-in: a vCPU to run, or a byte to write. */
struct task {
	pthread_t thread;
	int cpu;		/* to run on, if >= 0 */
	struct vcpu *vcpu;
	char *byte;
	double start, end;
};

static pthread_barrier_t go;

/* The @i-th CPU that this process may run on, or -1. */
static int nth_cpu(int i)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		err(1, "sched_getaffinity");
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && !i--)
			return cpu;
	return -1;
}

static void *task_run(void *arg)
{
	struct task *t = arg;
	cpu_set_t set;

	if (t->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			err(1, "sched_setaffinity");
	}
	pthread_barrier_wait(&go);
	t->start = now();
	if (t->vcpu)
		vcpu_run(t->vcpu);
	else
		*t->byte = 1;
	t->end = now();
	return NULL;
}

/*
 * Run @nr tasks at once, each in its own thread on its own CPU: from the
 * first start to the last end, in ms.
 */
static double run_tasks(struct task *tasks, int nr)
{
	double start = 1e300, end = 0;
	int i, e;

	pthread_barrier_init(&go, NULL, nr);
	for (i = 0; i < nr; i++) {
		tasks[i].cpu = nth_cpu(i);
		e = pthread_create(&tasks[i].thread, NULL, task_run, &tasks[i]);
		if (e)
			errx(1, "pthread_create: %s", strerror(e));
	}
	for (i = 0; i < nr; i++) {
		pthread_join(tasks[i].thread, NULL);
		if (tasks[i].start < start)
			start = tasks[i].start;
		if (tasks[i].end > end)
			end = tasks[i].end;
	}
	pthread_barrier_destroy(&go);
	return (end - start) * 1e3;
}

/*
 * A new file of @n 1G pages of @b: in a new VM with @n vCPUs if it is a
 * guest_memfd, vCPU i's guest writing once to page i (at PAR_CODE(i)), else
 * mapped, thread i writing once to page i.  The time of @nr of them at
 * once, in ms; a guest_memfd's stage-2 mapping counts in @maps.
 */
static double parallel(const struct backing *b, int n, int nr, unsigned long maps[3])
{
	long free0 = pool(b->log2, "free_hugepages"), resv0 = pool(b->log2, "resv_hugepages");
	struct task tasks[MAX_PAR] = { 0 };
	struct vcpu vcpus[MAX_PAR];
	struct guest g;
	double t;
	int i;

	if (b->gmem) {
		guest_create(&g, b, n * SIZE);
		for (i = 0; i < n; i++)
			vcpu_create(g.vm, i, PAR_CODE(i), &vcpus[i]);
	} else {
		g.fd = create(-1, b, n * SIZE);
		g.mem = map(g.fd, b, n * SIZE);
	}
	for (i = 0; i < nr; i++) {
		tasks[i].vcpu = b->gmem ? &vcpus[i] : NULL;
		tasks[i].byte = b->gmem ? NULL : g.mem + i * SIZE;
	}
	t = run_tasks(tasks, nr);
	if (b->gmem) {
		stage2(&g, maps);
		for (i = 0; i < n; i++)
			vcpu_destroy(&vcpus[i]);
		guest_destroy(&g);
	} else {
		munmap(g.mem, n * SIZE);
		close(g.fd);
	}
	wait_pool(b->log2, free0, resv0);
	return t;
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

static void maps_note(struct result *r, const unsigned long maps[3])
{
	snprintf(r->note, sizeof(r->note), "stage-2 maps 4K/2M/1G: %lu/%lu/%lu", maps[0],
		 maps[1], maps[2]);
}

/* The SECTION arguments, as a mask of POPULATE, FAULT and PARALLEL. */
static int parse_sections(int argc, char **argv)
{
	int i, k, sel = 0;

	for (i = 2; i < argc; i++) {
		for (k = 0; k < NR_SECTIONS && strcmp(argv[i], sections[k]); k++)
			;
		if (k == NR_SECTIONS)
			errx(1, "SECTION: populate, fault, parallel or mmap, not %s", argv[i]);
		sel |= 1 << k;
	}
	return sel ? sel : (1 << NR_SECTIONS) - 1;
}

/* Why the parallel fault-in of @n 1G pages cannot run, into @why; 0 if it can. */
static int par_unable(int n, char *why, size_t len)
{
	long avail = pool(30, "free_hugepages") - pool(30, "resv_hugepages");

	if (n < 2)
		snprintf(why, len, "not measured: one CPU, nothing runs in parallel");
	else if (n > MAX_PAR)
		snprintf(why, len, "not measured: %d CPUs, %d 1G pages fit below 4G", n,
			 MAX_PAR);
	else if (avail < n)
		snprintf(why, len, "not measured: %ld of the %d 1G pages it needs are free",
			 avail, n);
	else
		return 0;
	return 1;
}

/* The measurement of parallel fault-in row @k (1 task, @n, ratio) of file @j. */
static void par_what(char *buf, size_t len, int j, int k, int n)
{
	const char *who = j ? "thread" : "vCPU", *file = j ? "a MAP_HUGETLB memfd" : "one file";

	if (k == 0)
		snprintf(buf, len, "parallel fault-in: 1 %s, 1 of %d 1G pages of %s", who, n,
			 file);
	else if (k == 1)
		snprintf(buf, len, "parallel fault-in: %d %ss, %d distinct 1G pages of %s", n,
			 who, n, file);
	else
		snprintf(buf, len, "parallel fault-in: time(%d %ss) / time(1 %s)", n, who, who);
}

int main(int argc, char **argv)
{
	static struct result fill[NR_BACKINGS], drop[NR_BACKINGS], touch[NR_FAULTED],
			     par[NR_PAR][3],	/* 1 task, n tasks, ratio */
			     mfill[NR_MAPPED];
	static long mfaults[NR_MAPPED];
	static unsigned long maps[NR_FAULTED][3], par_maps[2][3];
	int i, j, k, vm, sel, n, at_once[NR_BACKINGS] = { 0 };
	char what[128], par_skip[96] = "";

	runs = argc > 1 ? atoi(argv[1]) : 5;
	if (runs < 1 || runs > MAX_RUNS)
		errx(1, "RUNS: 1 to %d", MAX_RUNS);
	sel = parse_sections(argc, argv);
	kvm = kvm_open();
	guest_code(code, GMEM_GPA, SIZE);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < n && i < MAX_PAR; i++)	/* one write to 1G page i */
		guest_code(code + PAR_CODE(i) - CODE_GPA, GMEM_GPA + i * SIZE, 4096);

	/*
	 * Population, teardown and the in-kernel benchmark take turns in each
	 * run, so that a drift of the machine's speed does not skew their
	 * ratios.  One VM for the guest_memfds that are only populated.
	 */
	vm = vm_create_private(kvm);
	for (i = 0; (sel & POPULATE) && i <= runs; i++) {
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
	/*
	 * The guest_memfd and MAP_HUGETLB rows of a page size take turns, in
	 * an order that alternates from run to run; 4K, the longest, is last.
	 */
	for (i = 0; (sel & FAULT) && i <= runs; i++) {
		printf("# run %d of %d: guest fault-in\n", i, runs);
		for (k = 0; k < NR_FAULTED; k++) {
			j = fault_order[i % 2][k];
			touch[j].v[i] = fault_in(&faulted[j], maps[j]);
			printf("#   %s: %.2f ms\n", faulted[j].name, touch[j].v[i]);
		}
	}
	for (j = 0; j < NR_FAULTED; j++)
		maps_note(&touch[j], maps[j]);
	if ((sel & PARALLEL) && !par_unable(n, par_skip, sizeof(par_skip))) {
		for (i = 0; i <= runs; i++) {
			printf("# run %d of %d: parallel fault-in of %d 1G pages\n", i, runs, n);
			for (j = 0; j < NR_PAR; j++) {
				for (k = i % 2; k < i % 2 + 2; k++)	/* 1 and n in turns */
					par[j][k % 2].v[i] = parallel(par_backings[j], n,
								      k % 2 ? n : 1,
								      par_maps[k % 2]);
				par[j][2].v[i] = par[j][1].v[i] / par[j][0].v[i];
				printf("#   %s: %.2f ms, %.2f ms\n", par_backings[j]->name,
				       par[j][0].v[i], par[j][1].v[i]);
			}
		}
		maps_note(&par[0][0], par_maps[0]);
		maps_note(&par[0][1], par_maps[1]);
		for (j = 0; j < NR_PAR; j++)
			snprintf(par[j][2].note, sizeof(par[j][2].note),
				 "median of the runs' ratios");
	}

	/* guest_memfd and memfd of a page size take turns, alternating. */
	if (sel & MMAP) {
		mmap_vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
		if (mmap_vm < 0)
			err(1, "KVM_CREATE_VM");
	}
	for (i = 0; (sel & MMAP) && i <= runs; i++) {
		printf("# run %d of %d: mmap population\n", i, runs);
		for (k = 0; k < NR_MAPPED; k++) {
			j = mmap_order[i % 2][k];
			mfill[j].v[i] = mmap_populate(mapped[j], &mfaults[j]);
			printf("#   %s: %.2f GiB/s, %ld faults\n", mapped[j]->name,
			       mfill[j].v[i], mfaults[j]);
		}
	}
	for (j = 0; (sel & MMAP) && j < NR_MAPPED; j++)
		snprintf(mfill[j].note, sizeof(mfill[j].note), "user faults: %ld",
			 mfaults[j]);
	if (sel & MMAP)
		close(mmap_vm);

	printf("md | measurement | backing | median | min to max | warm-up | unit | notes |\n");
	printf("md | --- | --- | ---: | ---: | ---: | --- | --- |\n");
	for (i = 0; (sel & POPULATE) && i < NR_BACKINGS; i++)
		report("population: fallocate()", "fill", "GiB/s", backings[i].name, &fill[i]);
	for (i = 0; (sel & POPULATE) && i < NR_KSIZES; i++)
		report("zeroing: folio_zero_user()", "fill", "GiB/s", ksizes[i].zero, &kzero[i]);
	for (i = 0; (sel & POPULATE) && i < NR_BACKINGS; i++)
		report("teardown: close()", "drop", "ms", backings[i].name, &drop[i]);
	for (i = 0; (sel & FAULT) && i < NR_FAULTED; i++)
		report("guest fault-in: KVM_RUN", "touch", "ms", faulted[i].name, &touch[i]);
	for (j = 0; (sel & PARALLEL) && j < NR_PAR; j++) {
		for (k = 0; k < 3; k++) {
			par_what(what, sizeof(what), j, k, n);
			if (par_skip[0] && k == 1)
				printf("md | %s | %s | | | | | %s |\n", what,
				       par_backings[j]->name, par_skip);
			else if (!par_skip[0])
				report(what, k == 2 ? "parallel" : NULL, k == 2 ? "x" : "ms",
				       par_backings[j]->name, &par[j][k]);
		}
	}
	for (i = 0; (sel & MMAP) && i < NR_MAPPED; i++)
		report("mmap population: a write to each 4K page", "mmap", "GiB/s",
		       mapped[i]->name, &mfill[i]);
	for (i = 0; (sel & POPULATE) && i < NR_KSIZES; i++) {
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

	/* The targets of the benchmark issues, from the medians above. */
	printf("md\nmd | target | measured | met |\nmd | --- | ---: | --- |\n");
	if (sel & POPULATE) {
		target("2M guest_memfd population >= 0.95x memfd HugeTLB 2M",
		       fill[1].median / fill[3].median, "x", 0.95, 1e9);
		target("2M guest_memfd population >= 0.8x in-kernel zeroing of 2M pages",
		       fill[1].median / kzero[0].median, "x", 0.8, 1e9);
		target("2M guest_memfd population >= 3x guest_memfd 4K",
		       fill[1].median / fill[0].median, "x", 3, 1e9);
		for (i = 0; i < NR_KSIZES; i++) {
			snprintf(what, sizeof(what),
				 "library overhead <= 5%% of alloc+zero+free, %s", ksizes[i].name);
			target(what, koverhead[i].median, "%", -1e9, 5);
		}
	}
	for (i = 1; (sel & FAULT) && i <= 2; i++) {	/* guest_memfd 2M, 1G */
		snprintf(what, sizeof(what), "%s fault-in rate >= 0.95x %s", faulted[i].name,
			 faulted[i + 2].name);
		target(what, touch[i + 2].median / touch[i].median, "x", 0.95, 1e9);
		snprintf(what, sizeof(what), "2M/1G stage-2 maps: %s = %s", faulted[i].name,
			 faulted[i + 2].name);
		printf("md | %s | %lu/%lu and %lu/%lu | %s |\n", what, maps[i][1], maps[i][2],
		       maps[i + 2][1], maps[i + 2][2],
		       maps[i][1] == maps[i + 2][1] && maps[i][2] == maps[i + 2][2] ?
		       "yes" : "**no**");
	}
	for (i = 0; (sel & MMAP) && i < 2; i++) {	/* guest_memfd 2M, 1G */
		snprintf(what, sizeof(what), "%s mmap population >= 0.95x %s",
			 mapped[i]->name, mapped[i + 2]->name);
		target(what, mfill[i].median / mfill[i + 2].median, "x", 0.95, 1e9);
	}
	if (sel & PARALLEL) {
		snprintf(what, sizeof(what),
			 "parallel fault-in: guest_memfd time(%d vCPUs) / time(1) <= 1.05x memfd time(%d threads) / time(1)",
			 n, n);
		if (par_skip[0])
			printf("md | %s | %s | **no** |\n", what, par_skip);
		else
			printf("md | %s | %.2fx (%.2fx / %.2fx) | %s |\n", what,
			       par[0][2].median / par[1][2].median, par[0][2].median,
			       par[1][2].median,
			       par[0][2].median <= 1.05 * par[1][2].median ? "yes" : "**no**");
	}
	return 0;
}
