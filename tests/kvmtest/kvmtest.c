// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvmtest — exercise a KVM device node through the raw KVM API.
 *
 * Creates a VM with one vCPU on the given device (/dev/kvm, /dev/kvmN),
 * runs a real-mode guest that writes a counter to an I/O port and to
 * memory in a loop and halts after a given number of iterations, and
 * checks every exit: each must be an OUT to the test port carrying the
 * next counter value, the last one a HLT, and guest memory and registers
 * must agree at the end.  Optionally repeats batches for a duration,
 * runs a warm-up batch outside the timing, pins the vCPU thread, prints
 * progress, or holds the VM open.
 *
 * With --tsc-aux V the guest gets the host's supported CPUID (so RDTSCP
 * and its MSR are the guest's) and TSC_AUX = V, which KVM keeps loaded
 * until the return to userspace (a user-return MSR).  Before each batch
 * the guest's RDTSCP must read V; before the VM exists and after every
 * exit RDTSCP in host userspace must still read what Linux put there,
 * (node << 12) | cpu.
 *
 * With --gaps the guest instead reads its TSC in a loop and keeps the
 * largest difference between two consecutive reads: how long the guest was
 * stopped at most, in its own time (exits, host preemption, IPIs, and in
 * the lab whatever stops the emulated CPU).  SIGUSR1 prints the largest gap
 * since the last SIGUSR1 (a numbered window) and starts a new window.
 *
 * With --msr MSR=V (repeatable) the guest itself writes V to MSR with
 * WRMSR before each batch and must read it back with RDMSR (TSC_AUX, the
 * SYSCALL MSRs: what KVM keeps loaded for a guest and the host must get
 * back).  --long-mode runs the guest in 64-bit mode with EFER.SCE, as VMX
 * KVM loads the SYSCALL MSRs only for such a guest.
 *
 * Exit status: 0 pass, 1 a check failed, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GUEST_MEM_SIZE  0x10000
#define CODE_ADDR       0x1000
#define DATA_ADDR       0x2000
#define TEST_PORT       0x10
#define MSR_TSC_AUX     0xc0000103

/* --msr: the guest's WRMSR/RDMSR program and where it reports */
#define MSR_CODE_ADDR   0x1900
#define MSR_PORT        0x12
#define MAX_GUEST_MSRS  8

/* --long-mode: identity-mapped page tables (one 2 MiB page) */
#define PML4_ADDR       0x3000
#define PDPT_ADDR       0x4000
#define PD_ADDR         0x5000

/*
 * Real-mode guest; on entry ecx = iterations, eax = 0, edx = TEST_PORT.
 *   0: 66 ef          out  dx, eax
 *   2: 66 a3 00 20    mov  [0x2000], eax
 *   6: 66 40          inc  eax
 *   8: 66 39 c8       cmp  eax, ecx
 *  11: 75 f3          jne  0
 *  13: f4             hlt
 */
static const uint8_t guest_code[] = {
	0x66, 0xef,
	0x66, 0xa3, DATA_ADDR & 0xff, DATA_ADDR >> 8,
	0x66, 0x40,
	0x66, 0x39, 0xc8,
	0x75, 0xf3,
	0xf4,
};

/*
 * With --spin N (real mode): the guest counts N down between two OUTs, so
 * that it spends its time in guest mode (a host timer interrupt then
 * mostly arrives while it runs: perf's guest callbacks).
 *   0: 66 ef          out  dx, eax
 *   2: 66 a3 00 20    mov  [0x2000], eax
 *   6: 66 bb N        mov  ebx, N
 *  12: 66 4b          dec  ebx
 *  14: 75 fc          jnz  12
 *  16: 66 40          inc  eax
 *  18: 66 39 c8       cmp  eax, ecx
 *  21: 75 e9          jne  0
 *  23: f4             hlt
 */
static uint8_t guest_spin_code[] = {
	0x66, 0xef,
	0x66, 0xa3, DATA_ADDR & 0xff, DATA_ADDR >> 8,
	0x66, 0xbb, 0, 0, 0, 0,
	0x66, 0x4b,
	0x75, 0xfc,
	0x66, 0x40,
	0x66, 0x39, 0xc8,
	0x75, 0xe9,
	0xf4,
};
#define SPIN_IMM	8	/* offset of N in guest_spin_code */

/* The same in 64-bit mode (--long-mode). */
static const uint8_t guest_code64[] = {
	0xef,					/* out  dx, eax */
	0x89, 0x04, 0x25, DATA_ADDR & 0xff, DATA_ADDR >> 8, 0, 0,
						/* mov  [0x2000], eax */
	0xff, 0xc0,				/* inc  eax */
	0x39, 0xc8,				/* cmp  eax, ecx */
	0x75, 0xf2,				/* jne  0 */
	0xf4,					/* hlt */
};

/*
 * With --tsc-aux, before each batch: the guest reports its TSC_AUX.
 *   0: 0f 01 f9       rdtscp             ecx = TSC_AUX (edx:eax = TSC)
 *   3: 66 89 c8       mov  eax, ecx
 *   6: ba 11 00       mov  dx, TSC_AUX_PORT
 *   9: 66 ef          out  dx, eax
 *  11: f4             hlt
 */
#define TSC_AUX_ADDR    0x1800
#define TSC_AUX_PORT    0x11
static const uint8_t guest_tsc_aux_code[] = {
	0x0f, 0x01, 0xf9,
	0x66, 0x89, 0xc8,
	0xba, TSC_AUX_PORT, 0x00,
	0x66, 0xef,
	0xf4,
};

/*
 * With --gaps: the guest reads its TSC in a loop and keeps the largest
 * difference between consecutive reads at GAP_MAX; the previous read is
 * at GAP_PREV, so the gap across an exit (end of a batch, a signal) counts
 * too.  On entry ecx = iterations.
 *   0: 0f 31             rdtsc
 *   2: 66 89 c3          mov  ebx, eax
 *   5: 66 89 d6          mov  esi, edx
 *   8: 66 2b 06 00 21    sub  eax, [GAP_PREV]
 *  13: 66 1b 16 04 21    sbb  edx, [GAP_PREV + 4]
 *  18: 66 3b 16 0c 21    cmp  edx, [GAP_MAX + 4]
 *  23: 72 12             jb   43
 *  25: 77 07             ja   34
 *  27: 66 3b 06 08 21    cmp  eax, [GAP_MAX]
 *  32: 76 09             jbe  43
 *  34: 66 a3 08 21       mov  [GAP_MAX], eax
 *  38: 66 89 16 0c 21    mov  [GAP_MAX + 4], edx
 *  43: 66 89 1e 00 21    mov  [GAP_PREV], ebx
 *  48: 66 89 36 04 21    mov  [GAP_PREV + 4], esi
 *  53: 66 49             dec  ecx
 *  55: 75 c7             jnz  0
 *  57: f4                hlt
 */
#define GAP_ADDR        0x1c00
#define GAP_PREV        0x2100
#define GAP_MAX         0x2108
static const uint8_t guest_gap_code[] = {
	0x0f, 0x31,
	0x66, 0x89, 0xc3,
	0x66, 0x89, 0xd6,
	0x66, 0x2b, 0x06, GAP_PREV & 0xff, GAP_PREV >> 8,
	0x66, 0x1b, 0x16, (GAP_PREV + 4) & 0xff, GAP_PREV >> 8,
	0x66, 0x3b, 0x16, (GAP_MAX + 4) & 0xff, GAP_MAX >> 8,
	0x72, 0x12,
	0x77, 0x07,
	0x66, 0x3b, 0x06, GAP_MAX & 0xff, GAP_MAX >> 8,
	0x76, 0x09,
	0x66, 0xa3, GAP_MAX & 0xff, GAP_MAX >> 8,
	0x66, 0x89, 0x16, (GAP_MAX + 4) & 0xff, GAP_MAX >> 8,
	0x66, 0x89, 0x1e, GAP_PREV & 0xff, GAP_PREV >> 8,
	0x66, 0x89, 0x36, (GAP_PREV + 4) & 0xff, GAP_PREV >> 8,
	0x66, 0x49,
	0x75, 0xc7,
	0xf4,
};

/* The same in 64-bit mode. */
static const uint8_t guest_tsc_aux_code64[] = {
	0x0f, 0x01, 0xf9,			/* rdtscp */
	0x89, 0xc8,				/* mov  eax, ecx */
	0x66, 0xba, TSC_AUX_PORT, 0x00,		/* mov  dx, TSC_AUX_PORT */
	0xef,					/* out  dx, eax */
	0xf4,					/* hlt */
};

static const char *dev_path = "/dev/kvm";
static const char *prog = "kvmtest";
static bool tsc_aux_test;
static uint32_t guest_tsc_aux;
static bool long_mode;
static uint32_t spin;

static struct {
	uint32_t index;
	uint64_t value;
} guest_msrs[MAX_GUEST_MSRS];
static int nr_guest_msrs;

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static void fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: FAIL: ", prog, dev_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool cpu_has_rdtscp(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(0x80000000), "c"(0));
	if (a < 0x80000001)
		return false;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(0x80000001), "c"(0));
	return d & (1u << 27);
}

/*
 * Linux sets TSC_AUX to (node << 12) | cpu on every CPU (getcpu in the
 * vDSO relies on it): a guest's value seen here leaked out of KVM.
 */
static void check_host_tsc_aux(const char *when)
{
	unsigned int cpu, node, cpu2, aux = 0, lo, hi;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (syscall(SYS_getcpu, &cpu, &node, NULL) < 0)
			fail(2, "getcpu: %s", strerror(errno));
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		if (syscall(SYS_getcpu, &cpu2, NULL, NULL) < 0)
			fail(2, "getcpu: %s", strerror(errno));
		if (cpu == cpu2)
			break;	/* not moved to another CPU in between */
	}
	if (aux != ((node << 12) | cpu))
		fail(1, "host TSC_AUX on CPU %u is %#x %s, expected %#x",
		     cpu, aux, when, (node << 12) | cpu);
}

/* The host's CPUID: RDTSCP, RDPID, long mode, SYSCALL are the guest's. */
static void vcpu_set_cpuid(struct vm *vm)
{
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[256];
	} cpuid;

	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.h.nent = 256;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0)
		fail(1, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, &cpuid) < 0)
		fail(1, "KVM_SET_CPUID2: %s", strerror(errno));
}

/* The TSC_AUX value for the guest. */
static void vcpu_set_tsc_aux(struct vm *vm)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[1];
	} msrs;

	memset(&msrs, 0, sizeof(msrs));
	msrs.h.nmsrs = 1;
	msrs.e[0].index = MSR_TSC_AUX;
	msrs.e[0].data = guest_tsc_aux;
	if (ioctl(vm->vcpu_fd, KVM_SET_MSRS, &msrs) != 1)
		fail(1, "KVM_SET_MSRS TSC_AUX=%#x failed", guest_tsc_aux);
	memset(&msrs.e[0], 0, sizeof(msrs.e[0]));
	msrs.e[0].index = MSR_TSC_AUX;
	if (ioctl(vm->vcpu_fd, KVM_GET_MSRS, &msrs) != 1 ||
	    msrs.e[0].data != guest_tsc_aux)
		fail(1, "the guest's TSC_AUX reads %#llx, set %#x",
		     (unsigned long long)msrs.e[0].data, guest_tsc_aux);
}

/* --long-mode: PML4 -> PDPT -> PD, the first 2 MiB identity-mapped. */
static void setup_page_tables(uint8_t *mem)
{
	uint64_t e;

	e = PDPT_ADDR | 3;		/* present, writable */
	memcpy(mem + PML4_ADDR, &e, 8);
	e = PD_ADDR | 3;
	memcpy(mem + PDPT_ADDR, &e, 8);
	e = 0 | 0x83;			/* present, writable, 2 MiB page */
	memcpy(mem + PD_ADDR, &e, 8);
}

/* A small assembler for the --msr program, real mode or 64-bit. */
struct code {
	uint8_t *p;
	size_t n;
};

static void emit(struct code *c, uint8_t b)
{
	c->p[c->n++] = b;
}

static void emit_imm(struct code *c, uint32_t v, int bytes)
{
	while (bytes--) {
		emit(c, v & 0xff);
		v >>= 8;
	}
}

/* 32-bit operand size: a 0x66 prefix in real mode */
static void op32(struct code *c)
{
	if (!long_mode)
		emit(c, 0x66);
}

/* mov r32, imm32 (r: 0 eax, 1 ecx, 2 edx, 3 ebx) */
static void mov_imm(struct code *c, int r, uint32_t v)
{
	op32(c);
	emit(c, 0xb8 + r);
	emit_imm(c, v, 4);
}

/*
 * For each MSR: WRMSR its value.  Then for each: RDMSR and report edx:eax
 * as two OUTs (low, high) to MSR_PORT.  Then HLT.
 */
static void emit_msr_code(uint8_t *mem)
{
	struct code c = { mem, 0 };
	int i;

	for (i = 0; i < nr_guest_msrs; i++) {
		mov_imm(&c, 1, guest_msrs[i].index);
		mov_imm(&c, 0, (uint32_t)guest_msrs[i].value);
		mov_imm(&c, 2, guest_msrs[i].value >> 32);
		emit(&c, 0x0f);			/* wrmsr */
		emit(&c, 0x30);
	}
	for (i = 0; i < nr_guest_msrs; i++) {
		mov_imm(&c, 1, guest_msrs[i].index);
		emit(&c, 0x0f);			/* rdmsr */
		emit(&c, 0x32);
		op32(&c);			/* mov ebx, edx */
		emit(&c, 0x89);
		emit(&c, 0xd3);
		if (long_mode)			/* mov dx, MSR_PORT */
			emit(&c, 0x66);
		emit(&c, 0xba);
		emit_imm(&c, MSR_PORT, 2);
		op32(&c);			/* out dx, eax */
		emit(&c, 0xef);
		op32(&c);			/* mov eax, ebx */
		emit(&c, 0x89);
		emit(&c, 0xd8);
		op32(&c);			/* out dx, eax */
		emit(&c, 0xef);
	}
	emit(&c, 0xf4);				/* hlt */
}

static void vm_open(struct vm *vm)
{
	struct kvm_userspace_memory_region region;
	struct stat st;
	int version;
	long sz;

	if (stat(dev_path, &st) < 0)
		fail(2, "cannot stat device: %s", strerror(errno));
	if (!S_ISCHR(st.st_mode))
		fail(2, "not a character device");

	vm->kvm_fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		fail(2, "open: %s", strerror(errno));
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		fail(1, "KVM_GET_API_VERSION returned %d, expected %d",
		     version, KVM_API_VERSION);

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		fail(1, "KVM_CREATE_VM: %s", strerror(errno));

	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		fail(2, "mmap guest memory: %s", strerror(errno));
	if (long_mode) {
		memcpy(vm->mem + CODE_ADDR, guest_code64, sizeof(guest_code64));
		memcpy(vm->mem + TSC_AUX_ADDR, guest_tsc_aux_code64,
		       sizeof(guest_tsc_aux_code64));
		setup_page_tables(vm->mem);
	} else {
		if (spin) {
			memcpy(guest_spin_code + SPIN_IMM, &spin, 4);
			memcpy(vm->mem + CODE_ADDR, guest_spin_code,
			       sizeof(guest_spin_code));
		} else {
			memcpy(vm->mem + CODE_ADDR, guest_code, sizeof(guest_code));
		}
		memcpy(vm->mem + TSC_AUX_ADDR, guest_tsc_aux_code,
		       sizeof(guest_tsc_aux_code));
	}
	if (nr_guest_msrs)
		emit_msr_code(vm->mem + MSR_CODE_ADDR);
	memcpy(vm->mem + GAP_ADDR, guest_gap_code, sizeof(guest_gap_code));

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		fail(1, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		fail(1, "KVM_CREATE_VCPU: %s", strerror(errno));

	sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (long)sizeof(struct kvm_run))
		fail(1, "KVM_GET_VCPU_MMAP_SIZE returned %ld", sz);
	vm->run_size = sz;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		fail(1, "mmap kvm_run: %s", strerror(errno));

	if (tsc_aux_test || long_mode || nr_guest_msrs)
		vcpu_set_cpuid(vm);
	if (tsc_aux_test)
		vcpu_set_tsc_aux(vm);
}

static void vcpu_reset(struct vm *vm, uint64_t rip, uint32_t iterations,
		       uint32_t port)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		fail(1, "KVM_GET_SREGS: %s", strerror(errno));
	if (long_mode) {
		struct kvm_segment seg = {
			.base = 0, .limit = 0xffffffff, .present = 1, .s = 1,
			.g = 1,
		};

		seg.type = 0xb;			/* code, execute/read, accessed */
		seg.selector = 0x8;
		seg.l = 1;
		sregs.cs = seg;
		seg.type = 0x3;			/* data, read/write, accessed */
		seg.selector = 0x10;
		seg.l = 0;
		seg.db = 1;
		sregs.ds = sregs.es = sregs.ss = sregs.fs = sregs.gs = seg;
		sregs.cr3 = PML4_ADDR;
		sregs.cr4 = 0x20;		/* PAE */
		sregs.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
		sregs.efer = 0x501;		/* LMA LME SCE */
	} else {
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		sregs.ds.base = 0;
		sregs.ds.selector = 0;
	}
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		fail(1, "KVM_SET_SREGS: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rflags = 0x2;
	regs.rax = 0;
	regs.rcx = iterations;
	regs.rdx = port;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		fail(1, "KVM_SET_REGS: %s", strerror(errno));
	memset(vm->mem + DATA_ADDR, 0xff, 4);
}

static void vcpu_run(struct vm *vm)
{
	while (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
		if (errno != EINTR)
			fail(1, "KVM_RUN: %s", strerror(errno));
	}
	if (tsc_aux_test)
		check_host_tsc_aux("after a guest exit");
}

/* The guest must read its own TSC_AUX, not the host's or another's. */
static void check_guest_tsc_aux(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint32_t val;

	vcpu_reset(vm, TSC_AUX_ADDR, 0, 0);
	vcpu_run(vm);
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != TSC_AUX_PORT || run->io.size != 4)
		fail(1, "RDTSCP in the guest: exit reason %u (port %#x), expected an OUT to port %#x",
		     run->exit_reason, run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
		     TSC_AUX_PORT);
	memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
	if (val != guest_tsc_aux)
		fail(1, "the guest's RDTSCP read TSC_AUX %#x, its own is %#x",
		     val, guest_tsc_aux);
	vcpu_run(vm);
	if (run->exit_reason != KVM_EXIT_HLT)
		fail(1, "RDTSCP in the guest: exit reason %u, expected HLT",
		     run->exit_reason);
}

/* The guest writes its MSRs and must read its own values back. */
static void check_guest_msrs(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint32_t val, half[2];
	int i, h;

	vcpu_reset(vm, MSR_CODE_ADDR, 0, 0);
	for (i = 0; i < nr_guest_msrs; i++) {
		for (h = 0; h < 2; h++) {
			vcpu_run(vm);
			if (run->exit_reason != KVM_EXIT_IO ||
			    run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.port != MSR_PORT || run->io.size != 4)
				fail(1, "WRMSR/RDMSR of MSR %#x in the guest: exit reason %u (port %#x), expected an OUT to port %#x",
				     guest_msrs[i].index, run->exit_reason,
				     run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
				     MSR_PORT);
			memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
			half[h] = val;
		}
		if ((half[0] | (uint64_t)half[1] << 32) != guest_msrs[i].value)
			fail(1, "the guest read MSR %#x as %#" PRIx64 ", it wrote %#" PRIx64,
			     guest_msrs[i].index,
			     half[0] | (uint64_t)half[1] << 32, guest_msrs[i].value);
	}
	vcpu_run(vm);
	if (run->exit_reason != KVM_EXIT_HLT)
		fail(1, "the guest's MSR program: exit reason %u, expected HLT",
		     run->exit_reason);
}

/* Run one batch; every exit is checked.  Returns the number of exits. */
static uint64_t run_batch(struct vm *vm, uint32_t iterations)
{
	struct kvm_run *run = vm->run;
	uint32_t expect = 0, val, mem;
	struct kvm_regs regs;
	uint64_t exits = 0;
	size_t code_size = long_mode ? sizeof(guest_code64) :
			   spin ? sizeof(guest_spin_code) : sizeof(guest_code);

	if (nr_guest_msrs)
		check_guest_msrs(vm);
	if (tsc_aux_test)
		check_guest_tsc_aux(vm);
	vcpu_reset(vm, CODE_ADDR, iterations, TEST_PORT);
	for (;;) {
		vcpu_run(vm);
		exits++;
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO)
			fail(1, "unexpected exit reason %u after %" PRIu64
			     " exits", run->exit_reason, exits);
		if (run->io.direction != KVM_EXIT_IO_OUT ||
		    run->io.port != TEST_PORT || run->io.size != 4 ||
		    run->io.count != 1)
			fail(1, "unexpected I/O exit (dir %u port %#x size %u count %u)",
			     run->io.direction, run->io.port, run->io.size,
			     run->io.count);
		memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
		if (val != expect)
			fail(1, "guest wrote %u, expected %u", val, expect);
		/* The previous iteration's store must be visible. */
		if (expect > 0) {
			memcpy(&mem, vm->mem + DATA_ADDR, 4);
			if (mem != expect - 1)
				fail(1, "guest memory holds %u, expected %u",
				     mem, expect - 1);
		}
		expect++;
	}
	if (expect != iterations)
		fail(1, "guest halted after %u of %u iterations", expect,
		     iterations);
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		fail(1, "KVM_GET_REGS: %s", strerror(errno));
	if ((uint32_t)regs.rax != iterations || regs.rip != CODE_ADDR + code_size)
		fail(1, "final state eax=%#llx rip=%#llx, expected eax=%#x rip=%#zx",
		     regs.rax, regs.rip, iterations, CODE_ADDR + code_size);
	memcpy(&mem, vm->mem + DATA_ADDR, 4);
	if (mem != iterations - 1)
		fail(1, "final guest memory %u, expected %u", mem, iterations - 1);
	return exits;
}

static volatile sig_atomic_t gap_report;

static void on_usr1(int sig __attribute__((unused)))
{
	gap_report = 1;
}

/* --gaps: the largest gaps, in TSC cycles, and the guest's TSC rate. */
struct gaps {
	double khz;
	uint64_t largest;
	unsigned int window;
};

static uint64_t gap_take(struct vm *vm)
{
	uint64_t g;

	memcpy(&g, vm->mem + GAP_MAX, sizeof(g));
	memset(vm->mem + GAP_MAX, 0, sizeof(g));
	return g;
}

/* SIGUSR1: the window that ends now, then a new one. */
static void gap_window(struct vm *vm, struct gaps *gaps)
{
	uint64_t g = gap_take(vm);

	if (g > gaps->largest)
		gaps->largest = g;
	printf("%s: %s: gap window %u: largest %.3f ms\n", prog, dev_path,
	       ++gaps->window, g / gaps->khz);
}

/* One batch of the --gaps guest: ITERATIONS reads of its TSC, then HLT. */
static void run_gap_batch(struct vm *vm, struct gaps *gaps, uint32_t iterations)
{
	struct kvm_run *run = vm->run;
	struct kvm_regs regs;
	int r;

	vcpu_reset(vm, GAP_ADDR, iterations, 0);
	for (;;) {
		r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		if (r < 0 && errno != EINTR)
			fail(1, "KVM_RUN: %s", strerror(errno));
		if (gap_report) {
			gap_report = 0;
			gap_window(vm, gaps);
		}
		if (r < 0)
			continue;
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		fail(1, "TSC-reading guest: unexpected exit reason %u",
		     run->exit_reason);
	}
	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) < 0)
		fail(1, "KVM_GET_REGS: %s", strerror(errno));
	if ((uint32_t)regs.rcx != 0 ||
	    regs.rip != GAP_ADDR + sizeof(guest_gap_code))
		fail(1, "TSC-reading guest: final state ecx=%#llx rip=%#llx, expected ecx=0 rip=%#zx",
		     regs.rcx, regs.rip, GAP_ADDR + sizeof(guest_gap_code));
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [options] [DEVICE]\n"
		"Run a checked real-mode guest on DEVICE (default /dev/kvm).\n"
		"  -n, --exits N      I/O exits per batch (default 1000)\n"
		"  -t, --seconds S    repeat batches for S seconds (default: one batch);\n"
		"                     SIGTERM/SIGINT end the run early, still checked\n"
		"  -w, --warmup N     first run one batch of N exits, not timed or counted\n"
		"                     (the VM's first entries fault its memory in)\n"
		"  -c, --cpu N        pin this thread to CPU N\n"
		"  -p, --progress S   print a progress line every S seconds\n"
		"  -H, --hold S       after the run, keep the VM open for S seconds\n"
		"                     (-1: until SIGTERM/SIGINT)\n"
		"  -a, --tsc-aux V    give the guest TSC_AUX V (and the host's CPUID);\n"
		"                     the guest's RDTSCP must read V before each batch,\n"
		"                     the host's, in userspace, Linux's value before the\n"
		"                     VM exists and after every exit\n"
		"  -A, --host-tsc-aux only check the host's TSC_AUX on this CPU (no VM)\n"
		"  -g, --gaps         run a guest that reads its TSC in a loop (-n reads\n"
		"                     per batch, default 1000000) and keep the largest\n"
		"                     gap between two reads; SIGUSR1 prints the largest\n"
		"                     gap since the previous SIGUSR1 (\"gap window N\")\n"
		"  -m, --msr MSR=V    the guest writes V to MSR (WRMSR) before each batch\n"
		"                     and must read V back (RDMSR); repeatable, up to %d;\n"
		"                     gives the guest the host's CPUID\n"
		"  -l, --long-mode    run the guest in 64-bit mode with EFER.SCE (VMX\n"
		"                     KVM loads the SYSCALL MSRs only for such a guest)\n"
		"  -s, --spin N       the guest counts N down between two exits (real\n"
		"                     mode; its loop is at guest address 0x1000-0x1017)\n"
		"  -q, --quiet        print only failures\n"
		"  -x, --check-extension CAP\n"
		"                     print what KVM_CHECK_EXTENSION says of capability\n"
		"                     number CAP on the device, and exit\n", prog,
		MAX_GUEST_MSRS);
}

/* A number of exits (a batch: 2..2^31-1) for option OPT; -1 if bad. */
static int count_arg(const char *opt, const char *arg, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno || *end || *out < 2 || *out > 0x7fffffff) {
		fprintf(stderr, "%s: %s wants 2..2147483647\n", prog, opt);
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t stop_hold;

static void on_signal(int sig __attribute__((unused)))
{
	stop_hold = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exits", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "progress", required_argument, NULL, 'p' },
		{ "hold", required_argument, NULL, 'H' },
		{ "tsc-aux", required_argument, NULL, 'a' },
		{ "host-tsc-aux", no_argument, NULL, 'A' },
		{ "gaps", no_argument, NULL, 'g' },
		{ "msr", required_argument, NULL, 'm' },
		{ "long-mode", no_argument, NULL, 'l' },
		{ "spin", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check-extension", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double seconds = 0, progress = 0, hold = 0, t0, t_last, t;
	uint64_t exits = 0, batches = 0, last_exits = 0;
	unsigned long n = 1000, warmup = 0;
	bool quiet = false, host_tsc_aux_only = false, gap_mode = false, n_set = false;
	struct gaps gaps = { 0 };
	int cpu = -1, c, cap = -1;
	struct vm vm;
	char *end;

	while ((c = getopt_long(argc, argv, "n:t:w:c:p:H:a:Agm:ls:qx:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (count_arg("--exits", optarg, &n) < 0)
				return 2;
			n_set = true;
			break;
		case 't':
			seconds = strtod(optarg, &end);
			if (*end || seconds < 0) {
				fprintf(stderr, "%s: --seconds wants a number >= 0\n", prog);
				return 2;
			}
			break;
		case 'w':
			if (count_arg("--warmup", optarg, &warmup) < 0)
				return 2;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'p':
			progress = strtod(optarg, &end);
			if (*end || progress <= 0) {
				fprintf(stderr, "%s: --progress wants a number > 0\n", prog);
				return 2;
			}
			break;
		case 'H':
			hold = strtod(optarg, &end);
			if (*end) {
				fprintf(stderr, "%s: --hold wants a number of seconds\n", prog);
				return 2;
			}
			break;
		case 'a':
			errno = 0;
			guest_tsc_aux = strtoul(optarg, &end, 0);
			if (errno || *end) {
				fprintf(stderr, "%s: --tsc-aux wants a 32-bit number\n", prog);
				return 2;
			}
			tsc_aux_test = true;
			break;
		case 'A':
			host_tsc_aux_only = true;
			break;
		case 'g':
			gap_mode = true;
			break;
		case 'm':
			if (nr_guest_msrs == MAX_GUEST_MSRS) {
				fprintf(stderr, "%s: at most %d --msr\n", prog, MAX_GUEST_MSRS);
				return 2;
			}
			errno = 0;
			guest_msrs[nr_guest_msrs].index = strtoul(optarg, &end, 0);
			if (errno || *end != '=') {
				fprintf(stderr, "%s: --msr wants MSR=VALUE (e.g. 0xc0000081=0x1b001000000000)\n", prog);
				return 2;
			}
			guest_msrs[nr_guest_msrs].value = strtoull(end + 1, &end, 0);
			if (errno || *end) {
				fprintf(stderr, "%s: --msr wants MSR=VALUE (e.g. 0xc0000081=0x1b001000000000)\n", prog);
				return 2;
			}
			nr_guest_msrs++;
			break;
		case 'l':
			long_mode = true;
			break;
		case 's':
			errno = 0;
			spin = strtoul(optarg, &end, 0);
			if (errno || *end || spin == 0) {
				fprintf(stderr, "%s: --spin wants a count 1..4294967295\n", prog);
				return 2;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'x':
			errno = 0;
			cap = (int)strtol(optarg, &end, 10);
			if (errno || *end || cap < 0) {
				fprintf(stderr, "%s: --check-extension wants a capability number\n", prog);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (spin && long_mode) {
		fprintf(stderr, "%s: --spin runs in real mode only, not with --long-mode\n", prog);
		return 2;
	}
	if (optind < argc)
		dev_path = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (gap_mode && (tsc_aux_test || host_tsc_aux_only || warmup || progress > 0 ||
			 nr_guest_msrs || long_mode || spin)) {
		fprintf(stderr, "%s: --gaps runs its own guest: no --tsc-aux, --host-tsc-aux, --warmup, --progress, --msr, --long-mode or --spin\n", prog);
		return 2;
	}
	if (gap_mode && !n_set)
		n = 1000000;

	if (cap >= 0) {
		int fd = open(dev_path, O_RDWR | O_CLOEXEC), r;

		if (fd < 0)
			fail(2, "cannot open %s: %s", dev_path, strerror(errno));
		r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
		if (r < 0)
			fail(1, "KVM_CHECK_EXTENSION %d on %s: %s", cap, dev_path, strerror(errno));
		printf("%d\n", r);
		close(fd);
		return 0;
	}

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			fail(2, "cannot pin to CPU %d: %s", cpu, strerror(errno));
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (tsc_aux_test || host_tsc_aux_only) {
		if (!cpu_has_rdtscp())
			fail(2, "this CPU has no RDTSCP");
		check_host_tsc_aux("before the VM exists");
		if (host_tsc_aux_only) {
			if (!quiet)
				printf("%s: host TSC_AUX is Linux's\n", prog);
			return 0;
		}
	}
	/* SIGTERM/SIGINT end a timed run after the current batch, checked. */
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	vm_open(&vm);
	if (gap_mode) {
		int khz = ioctl(vm.vcpu_fd, KVM_GET_TSC_KHZ, 0);

		if (khz <= 0)
			fail(1, "KVM_GET_TSC_KHZ: %s", khz < 0 ? strerror(errno) : "0 kHz");
		gaps.khz = khz;
		signal(SIGUSR1, on_usr1);
		/* the first read has no previous one: not a gap */
		run_gap_batch(&vm, &gaps, 2);
		gap_take(&vm);
	}
	if (warmup)
		run_batch(&vm, warmup - 1);

	t0 = t_last = now();
	do {
		if (gap_mode) {
			run_gap_batch(&vm, &gaps, n);
		} else {
			/* n exits = n-1 OUTs + 1 HLT */
			exits += run_batch(&vm, n - 1);
		}
		batches++;
		t = now();
		if (progress > 0 && t - t_last >= progress) {
			printf("%s: %s: progress %" PRIu64 " exits, %.0f exits/s\n",
			       prog, dev_path, exits,
			       (exits - last_exits) / (t - t_last));
			t_last = t;
			last_exits = exits;
		}
	} while (t - t0 < seconds && !stop_hold);

	if (gap_mode) {
		uint64_t g = gap_take(&vm);

		if (g > gaps.largest)
			gaps.largest = g;
		if (!quiet)
			printf("%s: %s: PASS %" PRIu64 " batches of %lu TSC reads, %.3f s, largest gap %.3f ms (TSC %.0f kHz)\n",
			       prog, dev_path, batches, n, t - t0,
			       gaps.largest / gaps.khz, gaps.khz);
	} else if (!quiet) {
		printf("%s: %s: PASS %" PRIu64 " exits in %" PRIu64
		       " batches, %.3f s, %.0f exits/s\n", prog, dev_path,
		       exits, batches, t - t0, exits / (t - t0));
	}

	if (hold != 0) {
		if (!quiet)
			printf("%s: %s: holding VM open\n", prog, dev_path);
		t0 = now();
		while (!stop_hold && (hold < 0 || now() - t0 < hold))
			usleep(50000);
	}
	return 0;
}
