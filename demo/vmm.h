/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the demo and the benchmark share: HugeTLB pool counters, KVM's
 * binary stats, and their guest and its vCPU.  Needs <err.h>,
 * <fcntl.h>, <stdio.h>, <string.h>, <unistd.h>, <sys/ioctl.h> and
 * <linux/kvm.h>.
 */
#ifndef VMM_H
#define VMM_H

#define CODE_GPA	0x1000UL	/* where guest_code() puts the guest */

/* /dev/kvm, which must support GUEST_MEMFD_FLAG_HUGE_PAGES. */
static int kvm_open(void)
{
	int kvm = open("/dev/kvm", O_RDWR);

	if (kvm < 0)
		err(1, "/dev/kvm");
	if (!(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS) &
	      GUEST_MEMFD_FLAG_HUGE_PAGES))
		errx(1, "GUEST_MEMFD_FLAG_HUGE_PAGES is not supported");
	return kvm;
}

/* A VM whose guest_memfd memory can be private: KVM_X86_SW_PROTECTED_VM. */
static int vm_create_private(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);

	if (vm < 0)
		err(1, "KVM_CREATE_VM (KVM_X86_SW_PROTECTED_VM)");
	return vm;
}

/* Make [@gpa, @gpa + @size) private: the guest then uses guest_memfd. */
static void set_private(int vm, unsigned long gpa, unsigned long size)
{
	struct kvm_memory_attributes attr = {
		.address = gpa, .size = size,
		.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE,
	};

	if (ioctl(vm, KVM_SET_MEMORY_ATTRIBUTES, &attr))
		err(1, "KVM_SET_MEMORY_ATTRIBUTES");
}

/*
 * Put at @mem + CODE_GPA, for a vCPU set up by vcpu_flat32(), a guest that
 * writes one word to every 4K page of [@gpa, @gpa + @size) and halts.
 */
static void guest_code(void *mem, unsigned int gpa, unsigned long size)
{
	/* mov edi,gpa; mov ecx,pages; 1: mov [edi],edi; add edi,4096; loop 1b; hlt */
	unsigned char code[] = { 0xbf, 0, 0, 0, 0, 0xb9, 0, 0, 0, 0,
				 0x89, 0x3f, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00,
				 0xe2, 0xf6, 0xf4 };
	unsigned int pages = size >> 12;

	memcpy(code + 1, &gpa, 4);
	memcpy(code + 6, &pages, 4);
	memcpy((char *)mem + CODE_GPA, code, sizeof(code));
}

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
