/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-confine.c — keep a domain's QEMU on its own KVM instance (see the header). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "mkvm-confine.h"
#include "mkvm-error.h"
#include "mkvm-libvirt.h"
#include "mkvm-paths.h"

/* /dev/kvm: KVM_MINOR of the misc major (stock KVM; vac routes it). */
#define KVM_DEV makedev (10, 232)

gboolean
mkvm_confine_wanted (gboolean *wanted, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *v = mkvm_conf_get ("confine", &local);

  *wanted = TRUE;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (v == NULL || strcmp (v, "yes") == 0)
    return TRUE;
  if (strcmp (v, "no") == 0)
    {
      *wanted = FALSE;
      return TRUE;
    }
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
               "%s: confine=%s: write confine=yes (the default) or confine=no",
               mkvm_path_conf (), v);
  return FALSE;
}

void
mkvm_confine_report_clear (MkvmConfineReport *r)
{
  g_clear_pointer (&r->cgroup, g_free);
}

GArray *
mkvm_confine_deny_list (const MkvmInventory *inv, const MkvmInstance *keep)
{
  GArray *devs = g_array_new (FALSE, FALSE, sizeof (dev_t));
  dev_t kvm = KVM_DEV;

  g_array_append_val (devs, kvm);
  for (guint i = 0; i < inv->instances->len; i++)
    {
      MkvmInstance *inst = g_ptr_array_index (inv->instances, i);
      gboolean dup = FALSE;

      /* vac reports the number of every instance; a static one has a
       * number once its node was found */
      if (inst->dev == 0 || (inst->is_static && !inst->device_ok))
        continue;
      for (guint j = 0; j < devs->len; j++)
        dup |= g_array_index (devs, dev_t, j) == inst->dev;
      if (!dup)
        g_array_append_val (devs, inst->dev);
    }
  for (guint j = 0; j < devs->len; j++)
    if (g_array_index (devs, dev_t, j) == keep->dev)
      g_array_remove_index (devs, j--);
  return devs;
}

/* ---- cgroups ------------------------------------------------------------ */

/* Mount point of the cgroup v1 hierarchy with @controller, or of cgroup2
 * (@controller NULL), from /proc/self/mountinfo. */
static char *
cgroup_mount (const char *controller)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/mountinfo", &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      /* ID PARENT M:m ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SOURCE SUPEROPTS */
      g_auto(GStrv) f = g_strsplit (*l, " ", -1);
      guint n = g_strv_length (f), dash = 0;

      for (guint i = 6; i < n; i++)
        if (strcmp (f[i], "-") == 0)
          {
            dash = i;
            break;
          }
      if (dash == 0 || dash + 3 >= n || strcmp (f[3], "/") != 0)
        continue;
      if (controller == NULL && strcmp (f[dash + 1], "cgroup2") == 0)
        return g_strdup (f[4]);
      if (controller != NULL && strcmp (f[dash + 1], "cgroup") == 0)
        {
          g_auto(GStrv) opts = g_strsplit (f[dash + 3], ",", -1);

          if (g_strv_contains ((const char *const *) opts, controller))
            return g_strdup (f[4]);
        }
    }
  return NULL;
}

/* QEMU's cgroup paths: v1 devices and v2 (either NULL when absent). */
static gboolean
pid_cgroups (pid_t pid, char **v1_devices, char **v2, GError **error)
{
  g_autofree char *path = g_strdup_printf ("%s/%d/cgroup", mkvm_path_proc (), (int) pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) local = NULL;

  *v1_devices = *v2 = NULL;
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE, "cannot read %s: %s", path,
                   local->message);
      return FALSE;
    }
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      g_auto(GStrv) f = g_strsplit (*l, ":", 3);

      if (g_strv_length (f) != 3 || f[2][0] != '/')
        continue;
      if (strcmp (f[0], "0") == 0 && f[1][0] == '\0' && *v2 == NULL)
        *v2 = g_strdup (f[2]);
      else
        {
          g_auto(GStrv) ctrl = g_strsplit (f[1], ",", -1);

          if (g_strv_contains ((const char *const *) ctrl, "devices") && *v1_devices == NULL)
            *v1_devices = g_strdup (f[2]);
        }
    }
  return TRUE;
}

static char *
devs_text (GArray *devs)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < devs->len; i++)
    {
      dev_t d = g_array_index (devs, dev_t, i);

      g_string_append_printf (s, "%s%u:%u", i ? " " : "", major (d), minor (d));
    }
  return g_string_free (s, FALSE);
}

static gboolean
deny_v1 (const char *dir, GArray *devs, GError **error)
{
  g_autofree char *file = g_build_filename (dir, "devices.deny", NULL);

  for (guint i = 0; i < devs->len; i++)
    {
      dev_t d = g_array_index (devs, dev_t, i);
      g_autofree char *rule = g_strdup_printf ("c %u:%u rwm\n", major (d), minor (d));
      int fd = open (file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      gboolean ok = fd >= 0 && write (fd, rule, strlen (rule)) == (ssize_t) strlen (rule);
      int e = errno;

      if (fd >= 0 && close (fd) < 0 && ok)
        {
          ok = FALSE;
          e = errno;
        }
      if (!ok)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE, "cannot write 'c %u:%u rwm' to %s: %s",
                       major (d), minor (d), file, g_strerror (e));
          return FALSE;
        }
    }
  return TRUE;
}

static long
bpf (int cmd, union bpf_attr *attr)
{
  return syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

#define MAX_PROGS 16
#define MAX_MAPS 8

/*
 * cgroup v2: libvirt's device program is a hash map of u64 (major << 32 |
 * minor, 0xffffffff for "any") to u32 (access | type << 16), looked up for
 * the exact device, then the major's and the minor's wildcards, then "*".
 * Every map of that shape attached to @dir: delete the exact entries of
 * @devs; a wildcard covering one of them cannot be narrowed (error).
 * Returns the number of libvirt maps edited, -1 on error.
 */
static int
deny_v2_dir (const char *dir, GArray *devs, GError **error)
{
  __u32 ids[MAX_PROGS] = { 0 };
  union bpf_attr a;
  int cg = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), edited = 0;

  if (cg < 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE, "cannot open %s: %s", dir,
                   g_strerror (errno));
      return -1;
    }
  memset (&a, 0, sizeof a);
  a.query.target_fd = cg;
  a.query.attach_type = BPF_CGROUP_DEVICE;
  a.query.prog_ids = (__u64) (uintptr_t) ids;
  a.query.prog_cnt = MAX_PROGS;
  if (bpf (BPF_PROG_QUERY, &a) < 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "cannot query the BPF device programs of %s: %s", dir, g_strerror (errno));
      close (cg);
      return -1;
    }
  close (cg);
  for (__u32 p = 0; p < MIN (a.query.prog_cnt, (__u32) MAX_PROGS); p++)
    {
      __u32 map_ids[MAX_MAPS] = { 0 };
      struct bpf_prog_info pinfo;
      int pfd;

      memset (&a, 0, sizeof a);
      a.prog_id = ids[p];
      if ((pfd = bpf (BPF_PROG_GET_FD_BY_ID, &a)) < 0)
        continue;               /* detached meanwhile */
      memset (&pinfo, 0, sizeof pinfo);
      pinfo.nr_map_ids = MAX_MAPS;
      pinfo.map_ids = (__u64) (uintptr_t) map_ids;
      memset (&a, 0, sizeof a);
      a.info.bpf_fd = pfd;
      a.info.info_len = sizeof pinfo;
      a.info.info = (__u64) (uintptr_t) &pinfo;
      if (bpf (BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
        {
          close (pfd);
          continue;
        }
      close (pfd);
      for (__u32 m = 0; m < MIN (pinfo.nr_map_ids, (__u32) MAX_MAPS); m++)
        {
          struct bpf_map_info minfo;
          int mfd;

          memset (&a, 0, sizeof a);
          a.map_id = map_ids[m];
          if ((mfd = bpf (BPF_MAP_GET_FD_BY_ID, &a)) < 0)
            continue;
          memset (&minfo, 0, sizeof minfo);
          memset (&a, 0, sizeof a);
          a.info.bpf_fd = mfd;
          a.info.info_len = sizeof minfo;
          a.info.info = (__u64) (uintptr_t) &minfo;
          if (bpf (BPF_OBJ_GET_INFO_BY_FD, &a) < 0 || minfo.type != BPF_MAP_TYPE_HASH ||
              minfo.key_size != 8 || minfo.value_size != 4)
            {
              close (mfd);
              continue;         /* not libvirt's device map */
            }
          for (guint i = 0; i < devs->len; i++)
            {
              dev_t d = g_array_index (devs, dev_t, i);
              __u64 exact = ((__u64) major (d) << 32) | minor (d);
              __u64 wild[3] = { ((__u64) major (d) << 32) | 0xffffffffu,
                                (0xffffffffull << 32) | minor (d), ~0ull };
              __u32 val;

              for (guint w = 0; w < G_N_ELEMENTS (wild); w++)
                {
                  memset (&a, 0, sizeof a);
                  a.map_fd = mfd;
                  a.key = (__u64) (uintptr_t) &wild[w];
                  a.value = (__u64) (uintptr_t) &val;
                  if (bpf (BPF_MAP_LOOKUP_ELEM, &a) == 0)
                    {
                      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                                   "the device cgroup %s allows every device %s%u%s: cannot "
                                   "deny %u:%u alone (check cgroup_device_acl in qemu.conf)",
                                   dir, w == 1 ? "*:" : "", w == 0 ? major (d) : minor (d),
                                   w == 0 ? ":*" : "", major (d), minor (d));
                      close (mfd);
                      return -1;
                    }
                }
              memset (&a, 0, sizeof a);
              a.map_fd = mfd;
              a.key = (__u64) (uintptr_t) &exact;
              if (bpf (BPF_MAP_DELETE_ELEM, &a) < 0 && errno != ENOENT)
                {
                  g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                               "cannot remove %u:%u from the BPF device map of %s: %s",
                               major (d), minor (d), dir, g_strerror (errno));
                  close (mfd);
                  return -1;
                }
            }
          close (mfd);
          edited++;
        }
    }
  return edited;
}

/*
 * The device cgroup libvirt put QEMU in: cgroup v1's devices hierarchy when
 * QEMU is in a machine cgroup there, else cgroup2's (a host mounting both,
 * "hybrid", has libvirt use v1 for devices).
 */
static gboolean
confine_cgroup (pid_t pid, GArray *devs, MkvmConfineReport *rep, GError **error)
{
  g_autofree char *v1 = NULL, *v2 = NULL, *mnt = NULL;
  gsize plen;

  if (!pid_cgroups (pid, &v1, &v2, error))
    return FALSE;
  if (v1 != NULL && mkvm_libvirt_machine_cgroup (v1, &plen) &&
      (mnt = cgroup_mount ("devices")) != NULL)
    {
      g_autofree char *dir = g_strdup_printf ("%s%.*s", mnt, (int) plen, v1);

      if (!deny_v1 (dir, devs, error))
        return FALSE;
      rep->cgroup = g_strdup_printf ("v1 %s", dir);
      return TRUE;
    }
  if (v2 != NULL && mkvm_libvirt_machine_cgroup (v2, &plen) &&
      (mnt = cgroup_mount (NULL)) != NULL)
    {
      int edited = 0;

      /* from QEMU's own cgroup up to the machine's: where libvirt attached
       * its program (the cgroups below inherit it) */
      for (gsize len = strlen (v2); len >= plen; )
        {
          g_autofree char *dir = g_strdup_printf ("%s%.*s", mnt, (int) len, v2);
          int n = deny_v2_dir (dir, devs, error);

          if (n < 0)
            return FALSE;
          if (n > 0 && rep->cgroup == NULL)
            rep->cgroup = g_strdup_printf ("v2 %s", dir);
          edited += n;
          while (len > plen && v2[len - 1] != '/')
            len--;
          if (len == plen)
            break;
          len--;                /* the '/' */
        }
      if (edited == 0)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                       "no libvirt BPF device program on QEMU pid %d's cgroup %s%.*s: is "
                       "libvirt's devices cgroup controller off (cgroup_controllers in "
                       "qemu.conf)?", (int) pid, mnt, (int) plen, v2);
          return FALSE;
        }
      return TRUE;
    }
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
               "QEMU pid %d is in no libvirt machine cgroup (devices: %s, cgroup2: %s): is "
               "libvirt's devices cgroup controller off (cgroup_controllers in qemu.conf)?",
               (int) pid, v1 ? v1 : "-", v2 ? v2 : "-");
  return FALSE;
}

/* ---- QEMU's private /dev ------------------------------------------------ */

static gboolean
same_file (const char *a, const char *b)
{
  struct stat sa, sb;

  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

static gboolean
kvm_name (const char *n)
{
  return g_str_has_prefix (n, "kvm") &&
         (n[3] == '\0' || strspn (n + 3, "0123456789") == strlen (n + 3));
}

/* Exit codes of the pruning child. */
enum { PRUNED = 0, PRUNE_FAILED = 1, HOST_DEV = 3 };

/*
 * In QEMU's mount namespace, remove every kvm node of /dev but @keep's: a
 * char device named kvm or kvmN, or with one of @devs or @keep's number,
 * unless it is the node at @keep's path with @keep's number.  In a child:
 * setns() wants a single-threaded caller and must not move the caller.
 */
static gboolean
prune_dev (const char *nsfile, GArray *devs, const MkvmInstance *keep, MkvmConfineReport *rep,
           GError **error)
{
  struct stat hostdev;
  char why[512] = "";
  int pfd[2], status, fd;
  pid_t child;
  ssize_t n;

  if (stat ("/dev", &hostdev) < 0 || (fd = open (nsfile, O_RDONLY | O_CLOEXEC)) < 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE, "cannot open %s: %s", nsfile,
                   g_strerror (errno));
      return FALSE;
    }
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      close (fd);
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE, "pipe: %s", g_strerror (errno));
      return FALSE;
    }
  child = fork ();
  if (child == 0)
    {
      struct stat dev;
      struct dirent *e;
      DIR *d;
      guint removed = 0;

      close (pfd[0]);
#define CHILD_FAIL(what, arg) \
      do { dprintf (pfd[1], "%s %s: %s", what, arg, g_strerror (errno)); _exit (PRUNE_FAILED); } while (0)
      if (setns (fd, CLONE_NEWNS) < 0)
        CHILD_FAIL ("setns", nsfile);
      /* the namespace differs, but its /dev may still be the host's
       * filesystem (a /dev bind-mounted from the host): hands off */
      if (stat ("/dev", &dev) < 0)
        CHILD_FAIL ("stat", "/dev");
      if (dev.st_dev == hostdev.st_dev)
        _exit (HOST_DEV);
      if ((d = opendir ("/dev")) == NULL)
        CHILD_FAIL ("opendir", "/dev");
      while ((e = readdir (d)) != NULL)
        {
          g_autofree char *path = g_strconcat ("/dev/", e->d_name, NULL);
          struct stat st;
          gboolean ours = FALSE;

          if (lstat (path, &st) < 0 || !S_ISCHR (st.st_mode))
            continue;
          if (st.st_rdev == keep->dev && g_strcmp0 (path, keep->device) == 0)
            continue;           /* QEMU's own node */
          ours = kvm_name (e->d_name) || st.st_rdev == keep->dev;
          for (guint i = 0; i < devs->len && !ours; i++)
            ours = st.st_rdev == g_array_index (devs, dev_t, i);
          if (!ours)
            continue;
          /* a node bind-mounted into /dev came along as a mount: detach
           * it (in QEMU's namespace only), then remove what is underneath */
          if (unlink (path) < 0 && (errno != EBUSY || umount2 (path, MNT_DETACH) < 0 ||
                                    (unlink (path) < 0 && errno != ENOENT)))
            CHILD_FAIL ("unlink", path);
          removed++;
        }
      dprintf (pfd[1], "%u", removed);
      _exit (PRUNED);
#undef CHILD_FAIL
    }
  close (fd);
  close (pfd[1]);
  while ((n = read (pfd[0], why, sizeof why - 1)) < 0 && errno == EINTR)
    ;
  why[n > 0 ? n : 0] = '\0';
  close (pfd[0]);
  if (child < 0 || waitpid (child, &status, 0) < 0 || !WIFEXITED (status) ||
      (WEXITSTATUS (status) != PRUNED && WEXITSTATUS (status) != HOST_DEV))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "cannot remove the other KVM nodes from QEMU's /dev (%s)",
                   why[0] ? why : child < 0 ? g_strerror (errno) : "child failed");
      return FALSE;
    }
  if (WEXITSTATUS (status) == HOST_DEV)
    rep->namespace = "shared";
  else
    {
      rep->namespace = "private";
      rep->removed = (guint) g_ascii_strtoull (why, NULL, 10);
    }
  return TRUE;
}

gboolean
mkvm_confine_qemu (const MkvmInventory *inv, pid_t pid, const MkvmInstance *keep,
                   MkvmConfineReport *report, GError **error)
{
  g_auto(MkvmConfineReport) rep = { 0 };
  g_autoptr(GArray) devs = mkvm_confine_deny_list (inv, keep);
  g_autofree char *ns = g_strdup_printf ("%s/%d/ns/mnt", mkvm_path_proc (), (int) pid);
  g_autofree char *self = g_strdup_printf ("%s/self/ns/mnt", mkvm_path_proc ());
  g_autofree char *init = g_strdup_printf ("%s/1/ns/mnt", mkvm_path_proc ());
  g_autoptr(GError) local = NULL;

  if (keep->dev == 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "instance %u has no device number (%s): cannot confine QEMU to it",
                   keep->id, keep->device_problem ? keep->device_problem : "node missing");
      return FALSE;
    }
  rep.denied = devs->len;
  if (!confine_cgroup (pid, devs, &rep, &local))
    {
      g_autofree char *list = devs_text (devs);

      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "cannot deny KVM devices %s to QEMU pid %d: %s", list, (int) pid,
                   local->message);
      return FALSE;
    }
  if (same_file (ns, self) || same_file (ns, init))
    rep.namespace = "shared";   /* namespaces = [] in qemu.conf: /dev is the host's */
  else if (!prune_dev (ns, devs, keep, &rep, &local))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (report)
    {
      *report = rep;
      rep.cgroup = NULL;
    }
  return TRUE;
}

gboolean
mkvm_confine_host_support (char **what, GError **error)
{
  g_autofree char *v1 = cgroup_mount ("devices");
  g_autofree char *v2 = NULL;

  *what = NULL;
  if (v1 != NULL)
    {
      *what = g_strdup_printf ("cgroup v1 devices controller at %s", v1);
      return TRUE;
    }
  if ((v2 = cgroup_mount (NULL)) != NULL)
    {
      __u32 ids[1];
      union bpf_attr a;
      int fd = open (v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      long r;

      memset (&a, 0, sizeof a);
      a.query.target_fd = fd;
      a.query.attach_type = BPF_CGROUP_DEVICE;
      a.query.prog_ids = (__u64) (uintptr_t) ids;
      a.query.prog_cnt = 1;
      r = fd < 0 ? -1 : bpf (BPF_PROG_QUERY, &a);
      if (fd >= 0)
        close (fd);
      if (r == 0 || errno == ENOSPC)
        {
          *what = g_strdup_printf ("cgroup v2 with BPF device programs at %s", v2);
          return TRUE;
        }
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
                   "cgroup2 at %s does not answer BPF device program queries (%s)", v2,
                   g_strerror (errno));
      return FALSE;
    }
  g_set_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE,
               "neither a cgroup v1 devices hierarchy nor cgroup2 is mounted");
  return FALSE;
}
