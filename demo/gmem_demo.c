// SPDX-License-Identifier: GPL-2.0
/*
 * What a VMM does to back guest memory with HugeTLB pages through
 * guest_memfd (GUEST_MEMFD_FLAG_HUGE_PAGES), with the HugeTLB pool counters
 * and KVM's stage-2 mapping counts printed after each step.
 *
 *   gmem_demo [LOG2 NR_PAGES]...	default: 21 4  30 1  (4x2M, 1x1G)
 *
 * Each size runs twice: as private memory of a KVM_X86_SW_PROTECTED_VM,
 * and as shared memory of a default VM (GUEST_MEMFD_FLAG_MMAP and
 * GUEST_MEMFD_FLAG_INIT_SHARED, a guest_memfd-only memslot), which the demo
 * mmap()s and reads as a VMM would: the mapping is by PFN, a huge page per
 * fault.  The guest runs in 32-bit protected mode without paging: it writes
 * one word to every 4K page of the guest_memfd memslot and halts.
 */
#define _GNU_SOURCE
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/falloc.h>
#include <linux/kvm.h>

#include "vmm.h"

#define GMEM_GPA	(1UL << 30)	/* 1G aligned: huge pages of any size fit */

static int kvm, vm, stats_fd;
static const char *mode;	/* "private" or "shared" */

static void row(const char *step, int log2)
{
	printf("%-4s %-7s %-30s %6ld %6ld %8lu %6lu %6lu\n",
	       log2 == 30 ? "1G" : "2M", mode, step, pool(log2, "free_hugepages"),
	       pool(log2, "resv_hugepages"), stat(stats_fd, "pages_4k"),
	       stat(stats_fd, "pages_2m"), stat(stats_fd, "pages_1g"));
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * Read the first word of each 4K page of the @size bytes at @mem, which
 * must be its guest address (what the guest wrote) or, if @zero, 0; print
 * the user faults that it took.
 */
static void host_read(const unsigned int *mem, unsigned long size, int zero)
{
	long faults = minor_faults();
	unsigned long off;

	for (off = 0; off < size; off += 4096)
		if (mem[off / 4] != (zero ? 0 : GMEM_GPA + off))
			errx(1, "host read 0x%x at offset 0x%lx", mem[off / 4], off);
	printf("%-4s %-7s   %ld user faults for %lu MiB, %s\n", "", mode,
	       minor_faults() - faults, size >> 20,
	       zero ? "all zeroes" : "the guest's data in every page");
}

static void run_guest(unsigned long size)
{
	struct kvm_userspace_memory_region2 slot0;
	struct kvm_run *run;
	void *low;
	int vcpu;

	low = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	guest_code(low, GMEM_GPA, size);
	slot0 = (struct kvm_userspace_memory_region2){
		.slot = 0, .memory_size = 0x10000, .userspace_addr = (unsigned long)low };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &slot0))
		err(1, "KVM_SET_USER_MEMORY_REGION2 (code)");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		err(1, "KVM_CREATE_VCPU");
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	vcpu_flat32(vcpu, CODE_GPA);
	if (ioctl(vcpu, KVM_RUN, 0))
		err(1, "KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT)
		errx(1, "guest exit %u, expected HLT", run->exit_reason);

	/* The vCPU holds a reference to the VM: drop it with the VM. */
	munmap(run, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	close(vcpu);
}

static void demo(int log2, unsigned long nr, int shared)
{
	unsigned long hpage = 1UL << log2, size = nr * hpage;
	struct kvm_create_guest_memfd gmem = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_HUGE_PAGES,
		.huge_page_size_log2 = log2,
	};
	unsigned int *mem = NULL;
	struct kvm_userspace_memory_region2 slot = {
		.slot = 1, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GMEM_GPA,
		.memory_size = size, .guest_memfd_offset = 0,
	};
	long free0 = pool(log2, "free_hugepages"), resv0 = pool(log2, "resv_hugepages");
	int fd;

	mode = shared ? "shared" : "private";
	if (shared) {
		gmem.flags |= GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
		vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_DEFAULT_VM);
		if (vm < 0)
			err(1, "KVM_CREATE_VM");
	} else {
		vm = vm_create_private(kvm);
	}
	stats_fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	if (stats_fd < 0)
		err(1, "KVM_GET_STATS_FD");
	row("start", log2);

	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	if (fd < 0)
		err(1, "KVM_CREATE_GUEST_MEMFD %lu x %luM", nr, hpage >> 20);
	row("create guest_memfd", log2);

	if (shared) {
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (mem == MAP_FAILED)
			err(1, "mmap of the guest_memfd");
		if ((unsigned long)mem & (hpage - 1))
			errx(1, "mmap: %p is not aligned to the huge page size", mem);
		slot.userspace_addr = (unsigned long)mem;
	}
	slot.guest_memfd = fd;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &slot))
		err(1, "KVM_SET_USER_MEMORY_REGION2 (guest_memfd)");
	if (shared) {
		row("mmap, bind memslot", log2);
	} else {
		set_private(vm, GMEM_GPA, size);
		row("bind memslot, make private", log2);
	}

	run_guest(size);
	row("guest touched every page", log2);
	if (shared) {
		host_read(mem, size, 0);
		row("host read every page", log2);
	}

	if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, hpage))
		err(1, "PUNCH_HOLE");
	row("punch hole: first huge page", log2);
	if (shared) {
		host_read(mem, hpage, 1);
		row("host read first huge page", log2);
		munmap(mem, size);
	}

	close(fd);
	close(stats_fd);
	close(vm);
	printf("%-4s %-7s %-30s %6ld %6ld\n", log2 == 30 ? "1G" : "2M", mode,
	       shared ? "munmap, close guest_memfd, VM" : "close guest_memfd and VM", pool(log2, "free_hugepages"),
	       pool(log2, "resv_hugepages"));
	if (pool(log2, "free_hugepages") != free0 || pool(log2, "resv_hugepages") != resv0)
		errx(1, "the pool is not back to where it started");
}

int main(int argc, char **argv)
{
	const char *dflt[] = { "", "21", "4", "30", "1" };
	int i;

	if (argc < 3) {
		argv = (char **)dflt;
		argc = 5;
	}
	kvm = kvm_open();

	printf("%-4s %-7s %-30s %6s %6s %8s %6s %6s\n", "size", "memory", "step", "free",
	       "resv", "4K maps", "2M", "1G");
	for (i = 1; i + 1 < argc; i += 2) {
		int log2 = atoi(argv[i]);

		if (pool(log2, "free_hugepages") < 0) {
			printf("%-4s no HugeTLB pages of 2^%d bytes\n", "", log2);
			continue;
		}
		demo(log2, strtoul(argv[i + 1], NULL, 0), 0);
		demo(log2, strtoul(argv[i + 1], NULL, 0), 1);
	}
	return 0;
}
