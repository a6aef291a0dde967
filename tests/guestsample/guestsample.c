// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * guestsample — do perf's samples taken while a guest runs say so?
 *
 * perf asks its one guest-callback registration (vac's, which dispatches to
 * the instance whose vCPU is loaded on the CPU) whether a sample was taken
 * in a guest and at which guest IP.  This program opens a sampling
 * cpu-clock event on every CPU (a software event: an hrtimer, which the
 * emulators have, where the lab's emulated CPUs have no PMU), lets it run
 * for a while and counts samples marked guest kernel/user and whether
 * their IP lies in a given guest range (kvmtest --spin: 0x1000-0x1017).
 * An hrtimer interrupt that arrives while a guest runs forces a VM exit
 * and is handled in KVM's "interrupt from guest" window: the sample then
 * comes from the callbacks.
 *
 * usage: guestsample [-t SECONDS] [-r LO-HI] [-n MIN]
 * Exit status: 0 at least MIN guest samples in the range (default 10),
 * 1 fewer, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS	64
#define RING_PAGES	64		/* data pages per CPU, a power of 2 */

static const char *prog = "guestsample";

struct ring {
	int fd;
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	size_t size;
};

static uint64_t host, guest_kernel, guest_user, in_range, lost;
static uint64_t lo = 0x1000, hi = 0x1018;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read every record the kernel has written since the last time. */
static void drain(struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->meta->data_tail;

	while (tail < head) {
		struct perf_event_header h;
		uint64_t ip;
		size_t off = tail & (r->size - 1), i;
		uint8_t rec[64];

		for (i = 0; i < sizeof(h); i++)
			((uint8_t *)&h)[i] = r->data[(off + i) & (r->size - 1)];
		if (h.size < sizeof(h) || h.size > sizeof(rec))
			break;
		for (i = 0; i < h.size; i++)
			rec[i] = r->data[(off + i) & (r->size - 1)];
		if (h.type == PERF_RECORD_SAMPLE) {
			memcpy(&ip, rec + sizeof(h), 8);
			switch (h.misc & PERF_RECORD_MISC_CPUMODE_MASK) {
			case PERF_RECORD_MISC_GUEST_KERNEL:
				guest_kernel++;
				break;
			case PERF_RECORD_MISC_GUEST_USER:
				guest_user++;
				break;
			default:
				host++;
				ip = 0;		/* not a guest IP */
				break;
			}
			if (ip >= lo && ip < hi)
				in_range++;
		} else if (h.type == PERF_RECORD_LOST) {
			uint64_t n;

			memcpy(&n, rec + sizeof(h) + 8, 8);
			lost += n;
		}
		tail += h.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
	struct ring rings[MAX_CPUS];
	struct pollfd pfd[MAX_CPUS];
	double seconds = 5, t0;
	unsigned long min = 10;
	long page = sysconf(_SC_PAGESIZE);
	int c, cpu, n = 0, ncpu;
	char *end;

	while ((c = getopt(argc, argv, "t:r:n:h")) != -1) {
		switch (c) {
		case 't':
			seconds = strtod(optarg, &end);
			if (*end || seconds <= 0) {
				fprintf(stderr, "%s: -t wants seconds > 0\n", prog);
				return 2;
			}
			break;
		case 'r':
			lo = strtoull(optarg, &end, 0);
			if (*end != '-' || (hi = strtoull(end + 1, &end, 0), *end) || hi <= lo) {
				fprintf(stderr, "%s: -r wants LO-HI, e.g. 0x1000-0x1018\n", prog);
				return 2;
			}
			break;
		case 'n':
			min = strtoul(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "%s: -n wants a count\n", prog);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-r LO-HI] [-n MIN]\n", prog);
			return c == 'h' ? 0 : 2;
		}
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1 || ncpu > MAX_CPUS) {
		fprintf(stderr, "%s: %d CPUs; this program handles 1 to %d\n", prog, ncpu, MAX_CPUS);
		return 2;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		struct perf_event_attr attr;
		struct ring *r = &rings[n];

		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_CPU_CLOCK;
		attr.sample_period = 100000;		/* ns: 10 kHz */
		attr.sample_type = PERF_SAMPLE_IP;
		attr.wakeup_events = 64;
		attr.disabled = 1;
		r->fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (r->fd < 0) {
			fprintf(stderr, "%s: perf_event_open on CPU %d: %s\n", prog, cpu, strerror(errno));
			return 2;
		}
		r->size = RING_PAGES * page;
		r->meta = mmap(NULL, (RING_PAGES + 1) * page, PROT_READ | PROT_WRITE,
			       MAP_SHARED, r->fd, 0);
		if (r->meta == MAP_FAILED) {
			fprintf(stderr, "%s: mmap of CPU %d's ring: %s\n", prog, cpu, strerror(errno));
			return 2;
		}
		r->data = (uint8_t *)r->meta + page;
		pfd[n].fd = r->fd;
		pfd[n].events = POLLIN;
		n++;
	}
	for (cpu = 0; cpu < n; cpu++)
		ioctl(rings[cpu].fd, PERF_EVENT_IOC_ENABLE, 0);
	t0 = now();
	while (now() - t0 < seconds) {
		poll(pfd, n, 100);
		for (cpu = 0; cpu < n; cpu++)
			drain(&rings[cpu]);
	}
	for (cpu = 0; cpu < n; cpu++) {
		ioctl(rings[cpu].fd, PERF_EVENT_IOC_DISABLE, 0);
		drain(&rings[cpu]);
	}
	printf("%s: %d CPUs, %.1f s: %llu host samples, %llu guest kernel, %llu guest user, %llu at guest IPs %#llx-%#llx, %llu lost\n",
	       prog, n, seconds, (unsigned long long)host,
	       (unsigned long long)guest_kernel, (unsigned long long)guest_user,
	       (unsigned long long)in_range, (unsigned long long)lo,
	       (unsigned long long)hi - 1, (unsigned long long)lost);
	if (in_range < min) {
		fprintf(stderr, "%s: FAIL: %llu samples at the guest's IPs, expected at least %lu\n",
			prog, (unsigned long long)in_range, min);
		return 1;
	}
	return 0;
}
