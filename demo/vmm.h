/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the demo and the benchmark share: HugeTLB pool counters and
 * KVM's binary stats, and a vCPU set up for their guest.  Needs <err.h>,
 * <stdio.h>, <string.h>, <unistd.h>, <sys/ioctl.h> and <linux/kvm.h>.
 */
#ifndef VMM_H
#define VMM_H

/* A HugeTLB pool counter of 2^@log2-byte pages; -1 if there is no pool. */
static long pool(int log2, const char *what)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/%s",
		 (1UL << log2) >> 10, what);
	f = fopen(path, "r");
	if (f && fscanf(f, "%ld", &val) != 1)
		val = -1;
	if (f)
		fclose(f);
	return val;
}

/* One value of KVM's binary stats (Documentation/virt/kvm/api.rst, 4.133). */
static unsigned long stat(int stats_fd, const char *name)
{
	struct kvm_stats_header h;
	char desc[sizeof(struct kvm_stats_desc) + 64];
	struct kvm_stats_desc *d = (void *)desc;
	unsigned long val;
	unsigned int i;

	if (pread(stats_fd, &h, sizeof(h), 0) != sizeof(h))
		err(1, "stats header");
	for (i = 0; i < h.num_desc; i++) {
		size_t sz = sizeof(*d) + h.name_size;

		if (sz > sizeof(desc) || pread(stats_fd, d, sz, h.desc_offset + i * sz) != sz)
			err(1, "stats descriptor");
		if (strcmp(d->name, name))
			continue;
		if (pread(stats_fd, &val, sizeof(val), h.data_offset + d->offset) != sizeof(val))
			err(1, "stats data");
		return val;
	}
	errx(1, "no stat %s", name);
}

/* Start @vcpu at @rip in 32-bit protected mode, flat segments, no paging. */
static void vcpu_flat32(int vcpu, unsigned long rip)
{
	struct kvm_segment seg = { .base = 0, .limit = 0xffffffff, .present = 1,
				   .s = 1, .db = 1, .g = 1 };
	struct kvm_regs regs = { .rip = rip, .rflags = 2 };
	struct kvm_sregs sregs;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		err(1, "KVM_GET_SREGS");
	sregs.cs = seg;
	sregs.cs.type = 11;	/* code, execute/read, accessed */
	sregs.cs.selector = 8;
	seg.type = 3;		/* data, read/write, accessed */
	seg.selector = 16;
	sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = seg;
	sregs.cr0 = 1;		/* protected mode, no paging */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		err(1, "KVM_SET_SREGS/REGS");
}

#endif
