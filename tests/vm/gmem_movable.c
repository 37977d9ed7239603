// SPDX-License-Identifier: GPL-2.0
/*
 * For a VM booted with movablecore=, which puts the boot-time 2M HugeTLB
 * pool (partly) in ZONE_MOVABLE, where guest_memfd may not take pages: a
 * HugeTLB guest_memfd of 1 page, half and all of the unreserved free 2M
 * pages must either fail to be created with ENOMEM, leaving the pool as
 * it was, or allocate every page it reserved.  Exits 0 if so, 1 if not,
 * 4 (skip) if no HugeTLB page is in ZONE_MOVABLE at all.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>

#include "../../demo/vmm.h"

#define KPF_COMPOUND_HEAD	15
#define KPF_HUGE		17

/* HugeTLB folios whose head page is in a ZONE_MOVABLE of /proc/zoneinfo. */
static long movable_huge_folios(void)
{
	unsigned long start, spanned;
	char line[256];
	int movable = 0;
	long nr = 0;
	FILE *zi;
	int kpf;

	zi = fopen("/proc/zoneinfo", "r");
	kpf = open("/proc/kpageflags", O_RDONLY);
	if (!zi || kpf < 0)
		err(1, "/proc/zoneinfo or /proc/kpageflags");
	while (fgets(line, sizeof(line), zi)) {
		if (!strncmp(line, "Node ", 5))
			movable = !!strstr(line, "zone  Movable");
		if (movable && sscanf(line, " spanned %lu", &spanned) == 1)
			continue;
		if (!movable || sscanf(line, " start_pfn: %lu", &start) != 1)
			continue;
		for (unsigned long pfn = start; pfn < start + spanned; pfn++) {
			uint64_t flags;

			if (pread(kpf, &flags, sizeof(flags), pfn * 8) != sizeof(flags))
				break;
			if ((flags >> KPF_HUGE & 1) && (flags >> KPF_COMPOUND_HEAD & 1))
				nr++;
		}
	}
	fclose(zi);
	close(kpf);
	return nr;
}

static int pool_is(long free, long resv)
{
	return pool(21, "free_hugepages") == free && pool(21, "resv_hugepages") == resv;
}

int main(void)
{
	long free = pool(21, "free_hugepages"), resv = pool(21, "resv_hugepages");
	long movable = movable_huge_folios(), tries[3];
	int kvm = kvm_open(), vm = vm_create_private(kvm), bad = 0;

	printf("2M pool: %ld free, %ld reserved; HugeTLB folios in ZONE_MOVABLE: %ld\n",
	       free, resv, movable);
	if (!movable) {
		printf("SKIP: no HugeTLB page in ZONE_MOVABLE (boot with movablecore=)\n");
		return 4;
	}
	tries[0] = 1;
	tries[1] = (free - resv) / 2;
	tries[2] = free - resv;
	for (int i = 0; i < 3; i++) {
		struct kvm_create_guest_memfd args = {
			.size = tries[i] << 21,
			.flags = GUEST_MEMFD_FLAG_HUGE_PAGES,
			.huge_page_size_log2 = 21,
		};
		int fd = ioctl(vm, KVM_CREATE_GUEST_MEMFD, &args);
		int ok;

		if (fd < 0) {
			ok = errno == ENOMEM && pool_is(free, resv);
			printf("%ld pages: create: %s, pool %s\n", tries[i],
			       strerror(errno), pool_is(free, resv) ? "unchanged" : "CHANGED");
		} else {
			ok = !fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, args.size);
			printf("%ld pages: created, fallocate of all: %s\n", tries[i],
			       ok ? "ok" : strerror(errno));
			close(fd);
			ok &= pool_is(free, resv);
		}
		printf("%s %ld pages\n", ok ? "ok:" : "FAIL:", tries[i]);
		bad |= !ok;
	}
	return bad;
}
