// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * <hooks>/qemu.d/multikvm — what libvirt runs on every domain event.
 *
 * libvirt runs every hook script on every event (five per start + destroy)
 * and waits for each.  This front links only libc, so the events multikvm
 * ignores cost one small exec; the ones it handles are passed, with the same
 * arguments and stdin, to multikvm-hook (<libexecdir>, or next to this
 * program in a build tree), which links libmultikvm and does the work.
 *
 * Exit status: that of multikvm-hook; 0 for ignored events; 1 when
 * multikvm-hook cannot be executed.
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
  char self[PATH_MAX], sibling[PATH_MAX + 32], buf[8192];
  const char *engine = MKVM_HOOK_ENGINE;
  ssize_t n;

  if (argc >= 4 && !handled (argv[2], argv[3]))
    {
      /* Take libvirt's XML so its write never meets a closed pipe. */
      while ((n = read (0, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        ;
      return 0;
    }
  /* In a build tree (tests link the hook from there) the engine is our
   * sibling; installed, it is in libexecdir. */
  n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n > 0)
    {
      self[n] = '\0';
      snprintf (sibling, sizeof sibling, "%s/multikvm-hook", dirname (self));
      if (access (sibling, X_OK) == 0)
        engine = sibling;
    }
  argv[0] = (char *) engine;
  execv (engine, argv);
  fprintf (stderr, "multikvm-hook: cannot execute %s: %s (reinstall multikvm)\n",
           engine, strerror (errno));
  return 1;
}
