// SPDX-License-Identifier: GPL-2.0
/*
 * What a VMM does to back guest memory with HugeTLB pages through
 * guest_memfd (GUEST_MEMFD_FLAG_HUGE_PAGES), with the HugeTLB pool counters
 * and KVM's stage-2 mapping counts printed after each step.
 *
 *   gmem_demo [LOG2 NR_PAGES]...	default: 21 4  30 1  (4x2M, 1x1G)
 *
 * The VM is a KVM_X86_SW_PROTECTED_VM, as HugeTLB-backed guest_memfd is
 * private memory.  The guest runs in 32-bit protected mode without paging:
 * it writes one word to every 4K page of the guest_memfd memslot, made
 * private, and halts.
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
#include <linux/falloc.h>
#include <linux/kvm.h>

#include "vmm.h"

#define GMEM_GPA	(1UL << 30)	/* 1G aligned: huge pages of any size fit */

static int kvm, vm, stats_fd;

static void row(const char *step, int log2)
{
	printf("%-4s %-28s %6ld %6ld %8lu %6lu %6lu\n",
	       log2 == 30 ? "1G" : "2M", step, pool(log2, "free_hugepages"),
	       pool(log2, "resv_hugepages"), stat(stats_fd, "pages_4k"),
	       stat(stats_fd, "pages_2m"), stat(stats_fd, "pages_1g"));
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

static void demo(int log2, unsigned long nr)
{
	unsigned long hpage = 1UL << log2, size = nr * hpage;
	struct kvm_create_guest_memfd gmem = {
		.size = size,
		.flags = GUEST_MEMFD_FLAG_HUGE_PAGES,
		.huge_page_size_log2 = log2,
	};
	struct kvm_userspace_memory_region2 slot = {
		.slot = 1, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = GMEM_GPA,
		.memory_size = size, .guest_memfd_offset = 0,
	};
	long free0 = pool(log2, "free_hugepages"), resv0 = pool(log2, "resv_hugepages");
	int fd;

	vm = vm_create_private(kvm);
	stats_fd = ioctl(vm, KVM_GET_STATS_FD, 0);
	if (stats_fd < 0)
		err(1, "KVM_GET_STATS_FD");
	row("start", log2);

	fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &gmem);
	if (fd < 0)
		err(1, "KVM_CREATE_GUEST_MEMFD %lu x %luM", nr, hpage >> 20);
	row("create guest_memfd", log2);

	slot.guest_memfd = fd;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &slot))
		err(1, "KVM_SET_USER_MEMORY_REGION2 (guest_memfd)");
	set_private(vm, GMEM_GPA, size);
	row("bind memslot, make private", log2);

	run_guest(size);
	row("guest touched every page", log2);

	if (fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, 0, hpage))
		err(1, "PUNCH_HOLE");
	row("punch hole: first huge page", log2);

	close(fd);
	close(stats_fd);
	close(vm);
	printf("%-4s %-28s %6ld %6ld\n", log2 == 30 ? "1G" : "2M",
	       "close guest_memfd and VM", pool(log2, "free_hugepages"),
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

	printf("%-4s %-28s %6s %6s %8s %6s %6s\n", "size", "step", "free", "resv",
	       "4K maps", "2M", "1G");
	for (i = 1; i + 1 < argc; i += 2) {
		int log2 = atoi(argv[i]);

		if (pool(log2, "free_hugepages") < 0) {
			printf("%-4s no HugeTLB pages of 2^%d bytes\n", "", log2);
			continue;
		}
		demo(log2, strtoul(argv[i + 1], NULL, 0));
	}
	return 0;
}
