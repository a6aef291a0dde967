// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * multikvm-hook — what libvirt runs as <hooks>/qemu.d/multikvm.
 *
 * libvirt runs every hook script on every event (five per start + destroy)
 * and waits for each.  This front links only libc, so the events multikvm
 * ignores cost one small exec; the ones it handles are passed, with the same
 * arguments and stdin, to multikvm-hook-run (next to this program), which
 * links libmultikvm and does the work.
 *
 * Exit status: that of multikvm-hook-run; 0 for ignored events; 1 when
 * multikvm-hook-run cannot be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
handled (const char *op, const char *sub)
{
  static const char *const begin[] = { "prepare", "restore", "migrate", "started", "reconnect" };

  if (strcmp (sub, "begin") == 0)
    for (size_t i = 0; i < sizeof begin / sizeof begin[0]; i++)
      if (strcmp (op, begin[i]) == 0)
        return 1;
  return strcmp (op, "release") == 0 && strcmp (sub, "end") == 0;
}

int
main (int argc, char **argv)
{
  char self[PATH_MAX], engine[PATH_MAX + 32], buf[8192];
  ssize_t n;

  if (argc >= 4 && !handled (argv[2], argv[3]))
    {
      /* Take libvirt's XML so its write never meets a closed pipe. */
      while ((n = read (0, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        ;
      return 0;
    }
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n < 0)
    {
      fprintf (stderr, "multikvm-hook: cannot find myself (/proc/self/exe): %s\n",
               strerror (errno));
      return 1;
    }
  self[n] = '\0';
  snprintf (engine, sizeof engine, "%s/multikvm-hook-run", dirname (self));
  argv[0] = engine;
  execv (engine, argv);
  fprintf (stderr, "multikvm-hook: cannot execute %s: %s (reinstall multikvm)\n",
           engine, strerror (errno));
  return 1;
}
