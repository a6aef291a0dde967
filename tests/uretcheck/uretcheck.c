// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uretcheck — does host userspace see the host's MSRs on every CPU?
 *
 * KVM leaves some of a guest's MSR values loaded until the CPU returns to
 * userspace (user-return MSRs: TSC_AUX; on VMX also STAR, LSTAR, SFMASK for
 * a 64-bit guest), and SVM reloads the host's SYSCALL MSRs from the per-CPU
 * host save area (VMLOAD).  Both are vac's with instances.  Pinned to each
 * CPU in turn, this program checks what userspace can see of them:
 *
 *  - TSC_AUX, through RDTSCP (and RDPID where the CPU has it): Linux puts
 *    (node << 12) | cpu there;
 *  - STAR, through a SYSCALL: SYSRET loads CS and SS from its bits 63:48,
 *    so userspace must come back with Linux's selectors (0x33, 0x2b);
 *  - LSTAR: a SYSCALL at all (the kernel's entry point; a guest's value
 *    crashes the host, which the lab reports);
 *  - SFMASK: a SYSCALL with EFLAGS.TF set (Linux's mask clears TF; without
 *    it the kernel takes a single-step trap on its entry code and WARNs,
 *    which the lab reports); userspace gets its own SIGTRAP back.
 *
 * Not CSTAR: Linux returns a compat-mode SYSCALL through the 32-bit vDSO,
 * which a 64-bit program does not have.  On SVM it comes back with the
 * others (one VMLOAD); VMX never loads a guest's CSTAR.
 *
 * With -t S it repeats the round over all CPUs for S seconds (run it while
 * guests run).  -T leaves out the SYSCALL with TF: Bochs 3.0 delivers its
 * single-step trap in the kernel whatever SFMASK says (real CPUs and QEMU
 * decide by the TF that SFMASK left).  Exit status: 0 pass, 1 a check
 * failed, 2 usage or setup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define USER_CS		0x33	/* Linux's __USER_CS */
#define USER_DS		0x2b	/* __USER_DS */

static const char *prog = "uretcheck";
static bool quiet, no_tf;
static int failures;

static void check_fail(int cpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check_fail(int cpu, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: CPU %d: FAIL: ", prog, cpu);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static bool has_rdtscp, has_rdpid;

static void probe_cpu(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		has_rdpid = r[2] & (1u << 22);
	}
	cpuid(0x80000000, 0, r);
	if (r[0] >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		has_rdtscp = r[3] & (1u << 27);
	}
}

/* TSC_AUX through RDTSCP and RDPID, on this CPU. */
static void check_tsc_aux(int cpu)
{
	unsigned int c, node, lo, hi, aux;
	uint64_t pid;

	if (syscall(SYS_getcpu, &c, &node, NULL) < 0 || (int)c != cpu) {
		check_fail(cpu, "getcpu says CPU %u (pinned?)", c);
		return;
	}
	if (has_rdtscp) {
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
		if (aux != ((node << 12) | c))
			check_fail(cpu, "RDTSCP reads TSC_AUX %#x, Linux's is %#x",
				   aux, (node << 12) | c);
	}
	if (has_rdpid) {
		__asm__ volatile("rdpid %0" : "=r"(pid));
		if (pid != ((node << 12) | c))
			check_fail(cpu, "RDPID reads TSC_AUX %#llx, Linux's is %#x",
				   (unsigned long long)pid, (node << 12) | c);
	}
}

/* getpid through SYSCALL (LSTAR), then the selectors SYSRET loaded (STAR). */
static void check_syscall(int cpu)
{
	uint16_t cs, ss;
	long r;

	__asm__ volatile("syscall\n\t"
			 "mov %%cs, %1\n\t"
			 "mov %%ss, %2"
			 : "=a"(r), "=r"(cs), "=r"(ss)
			 : "a"((long)SYS_getpid)
			 : "rcx", "r11", "memory");
	if (r != getpid())
		check_fail(cpu, "SYSCALL getpid returned %ld, expected %d", r, getpid());
	if (cs != USER_CS || ss != USER_DS)
		check_fail(cpu, "after SYSCALL/SYSRET CS:SS is %#x:%#x, Linux's is %#x:%#x (STAR)",
			   cs, ss, USER_CS, USER_DS);
}

static volatile sig_atomic_t traps;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L;	/* TF off */
	traps++;
}

/* SYSCALL with TF set: SFMASK must clear TF for the kernel. */
static void check_syscall_tf(int cpu)
{
	sig_atomic_t before = traps;
	long r;

	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "syscall\n\t"
			 "nop"
			 : "=a"(r)
			 : "a"((long)SYS_getpid)
			 : "rcx", "r11", "memory", "cc");
	if (r != getpid())
		check_fail(cpu, "SYSCALL getpid with TF set returned %ld", r);
	if (traps == before)
		check_fail(cpu, "no SIGTRAP after a SYSCALL with TF set");
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

int main(int argc, char **argv)
{
	double seconds = 0, t0;
	unsigned long rounds = 0;
	cpu_set_t all;
	struct sigaction sa;
	char *end;
	int c, cpu, ncpu;

	while ((c = getopt(argc, argv, "t:Tqh")) != -1) {
		switch (c) {
		case 't':
			seconds = strtod(optarg, &end);
			if (*end || seconds < 0) {
				fprintf(stderr, "%s: -t wants a number of seconds >= 0\n", prog);
				return 2;
			}
			break;
		case 'T':
			no_tf = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("usage: %s [-t SECONDS] [-T] [-q]\n"
			       "Check on every CPU that host userspace sees Linux's TSC_AUX\n"
			       "and SYSCALL MSRs; -t repeats for SECONDS, -T leaves out the\n"
			       "SYSCALL with TF set (SFMASK).\n", prog);
			return 0;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-T] [-q]\n", prog);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: %s [-t SECONDS] [-T] [-q]\n", prog);
		return 2;
	}
	probe_cpu();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGTRAP, &sa, NULL) < 0 ||
	    sched_getaffinity(0, sizeof(all), &all) < 0) {
		fprintf(stderr, "%s: setup: %s\n", prog, strerror(errno));
		return 2;
	}
	ncpu = CPU_COUNT(&all);
	t0 = now();
	do {
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (!CPU_ISSET(cpu, &all))
				continue;
			if (pin(cpu) < 0) {
				fprintf(stderr, "%s: cannot pin to CPU %d: %s\n", prog, cpu, strerror(errno));
				return 2;
			}
			check_tsc_aux(cpu);
			check_syscall(cpu);
			if (!no_tf)
				check_syscall_tf(cpu);
			check_tsc_aux(cpu);	/* and again after the syscalls */
		}
		rounds++;
	} while (!failures && now() - t0 < seconds);
	if (failures)
		return 1;
	if (!quiet)
		printf("%s: PASS %lu rounds on %d CPUs: TSC_AUX (%s%s), SYSCALL (LSTAR, STAR)%s\n",
		       prog, rounds, ncpu, has_rdtscp ? "RDTSCP" : "no RDTSCP",
		       has_rdpid ? ", RDPID" : "",
		       no_tf ? "" : ", SYSCALL with TF (SFMASK)");
	return 0;
}
