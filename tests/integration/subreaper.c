// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkvm-subreaper CMD [ARGS...]: run CMD as a child subreaper and reap every
 * orphan promptly.  libvirt waits for QEMU's zombie after killing it; where
 * PID 1 reaps slowly, `virsh destroy` takes seconds.  libvirtd runs under
 * this in the integration suite.  Exits with CMD's status once no child is
 * left (daemons CMD spawned keep it alive until they are gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child, pid;
	int status, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: mkvm-subreaper CMD [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "mkvm-subreaper: prctl: %s\n", strerror(errno));
		return 1;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "mkvm-subreaper: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "mkvm-subreaper: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pid == child)
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	return rc;
}
