// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkvm-confined-open [--host-ns] PID PATH... — the attacker's view: open
 * each PATH read-write as QEMU pid PID could, from inside its confinement:
 * in its cgroups (every hierarchy it is in), its mount namespace (unless
 * --host-ns: then the caller's, to reach the host's nodes), with its
 * uid, gid and supplementary groups, and its AppArmor label when AppArmor
 * confines it.  Prints "PATH ok" or "PATH ERRNONAME" per path (e.g.
 * "/dev/kvm8 ENOENT").  Exit 0 when every step into the confinement
 * worked (whatever the opens gave), 2 when one did not: then nothing was
 * tried.  Run as root (tests/integration/confinement.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__ ((noreturn, format (printf, 1, 2)))
die (const char *fmt, ...)
{
  va_list ap;

  fputs ("mkvm-confined-open: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (2);
}

static char *
slurp (const char *path)
{
  static char buf[65536];
  FILE *f = fopen (path, "re");
  size_t n;

  if (f == NULL)
    return NULL;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  return strdup (buf);
}

/* Mount point of the cgroup hierarchy named by CONTROLLERS ("" = cgroup2). */
static char *
cgroup_mount (const char *ctrls)
{
  char *info = slurp ("/proc/self/mountinfo"), *save = NULL;

  for (char *l = strtok_r (info, "\n", &save); l != NULL; l = strtok_r (NULL, "\n", &save))
    {
      char root[4096], mnt[4096], fstype[64], super[4096];
      const char *dash = strstr (l, " - ");

      if (dash == NULL || sscanf (l, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
          sscanf (dash + 3, "%63s %*s %4095s", fstype, super) != 2 || strcmp (root, "/") != 0)
        continue;
      if (ctrls[0] == '\0' ? strcmp (fstype, "cgroup2") == 0
                           : strcmp (fstype, "cgroup") == 0 && strstr (super, ctrls) != NULL)
        return strdup (mnt);
    }
  return NULL;
}

static void
join_cgroups (const char *pid)
{
  char path[256], *text, *save = NULL;

  snprintf (path, sizeof path, "/proc/%s/cgroup", pid);
  if ((text = slurp (path)) == NULL)
    die ("cannot read %s", path);
  for (char *l = strtok_r (text, "\n", &save); l != NULL; l = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (l, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL, *mnt, procs[8192];
      FILE *f;

      if (c2 == NULL)
        continue;
      *c2 = '\0';
      if ((mnt = cgroup_mount (c1 + 1)) == NULL)
        continue;               /* a hierarchy not mounted here */
      snprintf (procs, sizeof procs, "%s%s/cgroup.procs", mnt, c2 + 1);
      if ((f = fopen (procs, "we")) == NULL || fprintf (f, "%d\n", (int) getpid ()) < 0 ||
          fclose (f) != 0)
        die ("cannot join %s: %s", procs, strerror (errno));
    }
}

/* "Uid:\tR\tE\tS\tF" -> R */
static long
status_field (const char *status, const char *key)
{
  const char *p = strstr (status, key);

  if (p == NULL)
    die ("no %s in /proc/PID/status", key);
  return strtol (p + strlen (key), NULL, 10);
}

int
main (int argc, char **argv)
{
  char path[256], *status, *label = NULL, *aa;
  gid_t groups[64];
  int ngroups = 0, host_ns = 0, first, fd;
  const char *pid;
  uid_t uid;
  gid_t gid;

  if (argc > 1 && strcmp (argv[1], "--host-ns") == 0)
    {
      host_ns = 1;
      argv++;
      argc--;
    }
  if (argc < 3)
    die ("usage: mkvm-confined-open [--host-ns] PID PATH...");
  pid = argv[1];
  first = 2;

  snprintf (path, sizeof path, "/proc/%s/status", pid);
  if ((status = slurp (path)) == NULL)
    die ("cannot read %s", path);
  uid = status_field (status, "Uid:");
  gid = status_field (status, "Gid:");
  {
    char *g = strstr (status, "Groups:");
    char *end;

    for (g = g ? g + 7 : NULL; g != NULL && ngroups < 64; g = end)
      {
        long v = strtol (g, &end, 10);

        if (end == g)
          break;
        groups[ngroups++] = v;
      }
  }
  /* the AppArmor label, when AppArmor is on and confines QEMU */
  aa = slurp ("/sys/module/apparmor/parameters/enabled");
  if (aa != NULL && aa[0] == 'Y')
    {
      snprintf (path, sizeof path, "/proc/%s/attr/current", pid);
      if ((label = slurp (path)) != NULL)
        {
          label[strcspn (label, " \n")] = '\0';   /* "libvirt-UUID (enforce)" */
          if (label[0] == '\0' || strcmp (label, "unconfined") == 0)
            label = NULL;
        }
    }

  join_cgroups (pid);
  if (!host_ns)
    {
      snprintf (path, sizeof path, "/proc/%s/ns/mnt", pid);
      if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0 || setns (fd, CLONE_NEWNS) < 0)
        die ("cannot enter %s: %s", path, strerror (errno));
      close (fd);
    }
  if (setgroups (ngroups, groups) < 0 || setresgid (gid, gid, gid) < 0 ||
      setresuid (uid, uid, uid) < 0)
    die ("cannot become uid %d gid %d: %s", (int) uid, (int) gid, strerror (errno));
  if (label != NULL)
    {
      FILE *f = fopen ("/proc/self/attr/current", "we");

      if (f == NULL || fprintf (f, "changeprofile %s", label) < 0 || fclose (f) != 0)
        die ("cannot change to AppArmor profile %s: %s", label, strerror (errno));
    }
  fprintf (stderr, "mkvm-confined-open: as QEMU pid %s: its cgroups, %s mount namespace, "
           "uid %d gid %d, %d groups, AppArmor %s\n", pid, host_ns ? "the caller's" : "its",
           (int) uid, (int) gid, ngroups, label ? label : "off or unconfined");
  for (int i = first; i < argc; i++)
    {
      fd = open (argv[i], O_RDWR | O_CLOEXEC);
      printf ("%s %s\n", argv[i], fd >= 0 ? "ok" : strerrorname_np (errno));
      if (fd >= 0)
        close (fd);
    }
  return 0;
}
