/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests: confinement of a QEMU to its instance (mkvm-confine.h), on
 * this machine's real cgroups and mount namespaces.
 *
 * The whole test runs in its own mount namespace with a tmpfs on /dev
 * holding its "host" nodes: /dev/kvm (10:232, no driver here), /dev/kvm7
 * (1:8) and /dev/kvm8 (1:7): two static instances whose numbers open
 * without a KVM (/dev/random's and /dev/full's).  A forked "QEMU" (the
 * victim) runs on instance 7; it is put in a libvirt-like machine cgroup
 * (cgroup v1 devices, or cgroup2 with a BPF device program and map shaped
 * like libvirt's), optionally in its own mount namespace with a fresh /dev
 * like libvirt's.  It tries to open nodes before and after
 * mkvm_confine_qemu() and reports each errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <glib/gstdio.h>
#include "multikvm.h"
#include "fixture.h"

static const struct {
  const char *name;
  guint ma, mi;
} nodes[] = {
  { "kvm", 10, 232 }, { "kvm7", 1, 8 }, { "kvm8", 1, 7 },
  { "null", 1, 3 }, { "zero", 1, 5 }, { "urandom", 1, 9 },
};

static void
make_dev (void)
{
  g_assert_cmpint (mount ("tmpfs", "/dev", "tmpfs", 0, "mode=0755"), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      g_autofree char *p = g_build_filename ("/dev", nodes[i].name, NULL);
      g_assert_cmpint (mknod (p, S_IFCHR | 0666, makedev (nodes[i].ma, nodes[i].mi)), ==, 0);
    }
}

/* ---- the victim ---------------------------------------------------------- */

typedef struct {
  pid_t pid;
  int go;        /* parent -> child: one byte per round of opens */
  int out;       /* child -> parent: "ready" then one line per round */
} Victim;

static const char *const tries[] = { "/dev/kvm7", "/dev/kvm8", "/dev/kvm" };

/* One line: "errno errno errno" of opening tries[] (0: opened), then
 * whether /dev/kvm and /dev/kvm8 still exist in its namespace. */
static void
victim_round (int out)
{
  GString *s = g_string_new (NULL);
  struct stat st;

  for (guint i = 0; i < G_N_ELEMENTS (tries); i++)
    {
      int fd = open (tries[i], O_RDWR | O_CLOEXEC);

      g_string_append_printf (s, "%d ", fd >= 0 ? 0 : errno);
      if (fd >= 0)
        close (fd);
    }
  g_string_append_printf (s, "%d %d\n", lstat ("/dev/kvm", &st) == 0,
                          lstat ("/dev/kvm8", &st) == 0);
  if (write (out, s->str, s->len) != (ssize_t) s->len)
    _exit (1);
  g_string_free (s, TRUE);
}

static Victim
victim_start (gboolean private_dev)
{
  int go[2], out[2];
  Victim v;
  char c;

  g_assert_cmpint (pipe (go), ==, 0);
  g_assert_cmpint (pipe (out), ==, 0);
  v.pid = fork ();
  g_assert_cmpint (v.pid, >=, 0);
  if (v.pid == 0)
    {
      int own;

      close (go[1]);
      close (out[0]);
      if (private_dev && (unshare (CLONE_NEWNS) < 0 ||
                          mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0))
        _exit (1);
      if (private_dev)
        make_dev ();
      own = open ("/dev/kvm7", O_RDWR);   /* what QEMU opened */
      if (own < 0 || write (out[1], "r", 1) != 1)
        _exit (1);
      while (read (go[0], &c, 1) == 1)
        victim_round (out[1]);
      _exit (0);
    }
  close (go[0]);
  close (out[1]);
  v.go = go[1];
  v.out = out[0];
  g_assert_cmpint (read (v.out, &c, 1), ==, 1);
  return v;
}

/* A round of opens: "E7 E8 EKVM HASKVM HASKVM8". */
static char *
victim_try (Victim *v)
{
  char buf[128];
  ssize_t n;

  g_assert_cmpint (write (v->go, "g", 1), ==, 1);
  n = read (v->out, buf, sizeof buf - 1);
  g_assert_cmpint (n, >, 0);
  buf[n] = '\0';
  return g_strdup (g_strstrip (buf));
}

static void
victim_stop (Victim *v)
{
  kill (v->pid, SIGKILL);
  waitpid (v->pid, NULL, 0);
  close (v->go);
  close (v->out);
}

/* ---- cgroups --------------------------------------------------------------- */

static const char *
v1_devices (void)
{
  return g_file_test ("/sys/fs/cgroup/devices/devices.list", G_FILE_TEST_EXISTS)
             ? "/sys/fs/cgroup/devices" : NULL;
}

static const char *
v2_root (void)
{
  if (g_file_test ("/sys/fs/cgroup/unified/cgroup.procs", G_FILE_TEST_EXISTS))
    return "/sys/fs/cgroup/unified";
  if (g_file_test ("/sys/fs/cgroup/cgroup.controllers", G_FILE_TEST_EXISTS))
    return "/sys/fs/cgroup";
  return NULL;
}

/* <root>/mkvm-unit-PID/machine/qemu-1-t.libvirt-qemu[/emulator] */
static char *
machine_dir (const char *root)
{
  return g_strdup_printf ("%s/mkvm-unit-%d/machine/qemu-1-t.libvirt-qemu", root,
                          (int) getpid ());
}

static void
cg_enter (const char *dir, pid_t pid)
{
  g_autofree char *procs = g_build_filename (dir, "cgroup.procs", NULL);
  g_autofree char *text = g_strdup_printf ("%d\n", (int) pid);
  int fd;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  fd = open (procs, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, text, strlen (text)), ==, (gssize) strlen (text));
  close (fd);
}

static void
cg_remove (const char *root)
{
  g_autofree char *top = g_strdup_printf ("%s/mkvm-unit-%d", root, (int) getpid ());
  g_autofree char *m = g_build_filename (top, "machine", NULL);
  g_autofree char *q = g_build_filename (m, "qemu-1-t.libvirt-qemu", NULL);
  g_autofree char *e = g_build_filename (q, "emulator", NULL);

  g_rmdir (e);
  g_rmdir (q);
  g_rmdir (m);
  g_rmdir (top);
}

static long
bpf (int cmd, union bpf_attr *a)
{
  return syscall (SYS_bpf, cmd, a, sizeof *a);
}

/* A device program like libvirt's (its first lookup: the exact device) on
 * a hash map u64 -> u32, attached to @dir; @keys go into the map. */
static void
attach_libvirt_like (const char *dir, const guint64 *keys, guint n)
{
  union bpf_attr a;
  int map, prog, cg;
  guint32 val = 0xffffffff;

  memset (&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = 8;
  a.value_size = 4;
  a.max_entries = 64;
  map = bpf (BPF_MAP_CREATE, &a);
  g_assert_cmpint (map, >=, 0);
  for (guint i = 0; i < n; i++)
    {
      memset (&a, 0, sizeof a);
      a.map_fd = map;
      a.key = (guint64) (uintptr_t) &keys[i];
      a.value = (guint64) (uintptr_t) &val;
      g_assert_cmpint (bpf (BPF_MAP_UPDATE_ELEM, &a), ==, 0);
    }
  struct bpf_insn insns[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 },
    { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 1, .src_reg = 6, .off = 4 },
    { .code = BPF_ALU64 | BPF_LSH | BPF_K, .dst_reg = 1, .imm = 32 },
    { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 2, .src_reg = 6, .off = 8 },
    { .code = BPF_ALU64 | BPF_OR | BPF_X, .dst_reg = 1, .src_reg = 2 },
    { .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 10, .src_reg = 1, .off = -8 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10 },
    { .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -8 },
    { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map },
    { .code = 0 },
    { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
    { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .imm = 0, .off = 2 },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
    { .code = BPF_JMP | BPF_EXIT },
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  memset (&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (guint64) (uintptr_t) insns;
  a.insn_cnt = G_N_ELEMENTS (insns);
  a.license = (guint64) (uintptr_t) "GPL";
  prog = bpf (BPF_PROG_LOAD, &a);
  g_assert_cmpint (prog, >=, 0);
  cg = open (dir, O_RDONLY | O_DIRECTORY);
  g_assert_cmpint (cg, >=, 0);
  memset (&a, 0, sizeof a);
  a.target_fd = cg;
  a.attach_bpf_fd = prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  g_assert_cmpint (bpf (BPF_PROG_ATTACH, &a), ==, 0);
  close (cg);
  close (prog);
  close (map);
}

#define KEY(ma, mi) (((guint64) (ma) << 32) | (guint32) (mi))

/* ---- the inventory: statics 7 (/dev/kvm7) and 8 (/dev/kvm8) ------------- */

static MkvmInventory *
statics (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse (
      "<policy version='1'><profiles default='a'><profile name='a'/></profiles><instances>"
      "<instance id='7' device='/dev/kvm7'/><instance id='8' device='/dev/kvm8'/>"
      "</instances></policy>", -1, "t", &error);
  g_assert_no_error (error);
  MkvmInventory *inv = mkvm_inventory_load (p, &error);
  g_assert_no_error (error);
  (void) fx;
  return inv;
}

static void
test_deny_list (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(MkvmInventory) inv = statics (fx);
  g_autoptr(GArray) devs = mkvm_confine_deny_list (inv, mkvm_inventory_find (inv, 7));

  g_assert_cmpuint (devs->len, ==, 2);
  g_assert_true (g_array_index (devs, dev_t, 0) == makedev (10, 232));
  g_assert_true (g_array_index (devs, dev_t, 1) == makedev (1, 7));
}

static void
test_wanted (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *conf = g_build_filename (fx->root, "multikvm.conf", NULL);
  gboolean w = FALSE;

  g_setenv ("MULTIKVM_CONF", conf, TRUE);
  g_assert_true (mkvm_confine_wanted (&w, &error));
  g_assert_true (w);                     /* no file: yes */
  fx_write (conf, "qemu=/usr/bin/qemu-system-x86_64\n");
  g_assert_true (mkvm_confine_wanted (&w, &error) && w);
  fx_write (conf, "confine=no\n");
  g_assert_true (mkvm_confine_wanted (&w, &error));
  g_assert_false (w);
  fx_write (conf, "confine=off\n");      /* not a value: fails closed */
  g_assert_false (mkvm_confine_wanted (&w, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "confine=off"));
  g_clear_error (&error);
  g_unlink (conf);
  g_assert_cmpint (g_mkdir (conf, 0755), ==, 0);  /* unreadable: fails closed */
  g_assert_false (mkvm_confine_wanted (&w, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_IO);
  g_rmdir (conf);
  g_unsetenv ("MULTIKVM_CONF");
}

/* Confine the victim on instance 7 and check what it can open after. */
static void
confine_and_check (Victim *v, gboolean private_dev, const char *cg_kind)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(MkvmInventory) inv = statics (fx);
  g_autoptr(GError) error = NULL;
  g_auto(MkvmConfineReport) rep = { 0 };
  g_autofree char *before = victim_try (v);
  g_autofree char *after = NULL;

  /* before: its own node and the other instance's open; /dev/kvm has no
   * driver here (ENXIO or ENODEV, not a refusal) */
  g_test_message ("before: %s", before);
  g_assert_true (g_str_has_prefix (before, "0 0 "));
  g_setenv ("MULTIKVM_PROC", "/proc", TRUE);
  g_assert_true (mkvm_confine_qemu (inv, v->pid, mkvm_inventory_find (inv, 7), &rep, &error));
  g_assert_no_error (error);
  g_test_message ("cgroup %s, %u denied, namespace %s, %u removed", rep.cgroup, rep.denied,
                  rep.namespace, rep.removed);
  g_assert_true (g_str_has_prefix (rep.cgroup, cg_kind));
  g_assert_cmpuint (rep.denied, ==, 2);
  after = victim_try (v);
  g_test_message ("after: %s", after);
  if (private_dev)
    {
      /* pruned from its /dev: ENOENT */
      g_assert_cmpstr (rep.namespace, ==, "private");
      g_assert_cmpuint (rep.removed, ==, 2);
      g_assert_cmpstr (after, ==, "0 2 2 0 0");
    }
  else
    {
      /* the device cgroup refuses: EPERM; the nodes stay */
      g_assert_cmpstr (rep.namespace, ==, "shared");
      g_assert_cmpstr (after, ==, "0 1 1 1 1");
    }
  /* the caller's (the "host's") /dev is never touched */
  g_assert_true (g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test ("/dev/kvm8", G_FILE_TEST_EXISTS));
}

static void
run_v1 (gboolean private_dev)
{
  const char *root = v1_devices ();
  g_autofree char *dir = NULL, *emu = NULL;
  Victim v;

  if (root == NULL)
    {
      g_test_skip ("no cgroup v1 devices hierarchy");
      return;
    }
  dir = machine_dir (root);
  emu = g_build_filename (dir, "emulator", NULL);
  v = victim_start (private_dev);
  cg_enter (emu, v.pid);
  confine_and_check (&v, private_dev, "v1 ");
  victim_stop (&v);
  cg_remove (root);
}

static void
run_v2 (gboolean private_dev)
{
  const char *root = v2_root ();
  const guint64 keys[] = { KEY (1, 8), KEY (1, 7), KEY (10, 232), KEY (1, 3), KEY (1, 5), KEY (1, 9) };
  g_autofree char *dir = NULL, *emu = NULL;
  Victim v;

  if (root == NULL)
    {
      g_test_skip ("no cgroup2");
      return;
    }
  dir = machine_dir (root);
  emu = g_build_filename (dir, "emulator", NULL);
  g_assert_cmpint (g_mkdir_with_parents (emu, 0755), ==, 0);
  attach_libvirt_like (dir, keys, G_N_ELEMENTS (keys));
  v = victim_start (private_dev);
  cg_enter (emu, v.pid);
  confine_and_check (&v, private_dev, "v2 ");
  victim_stop (&v);
  cg_remove (root);
}

static void test_v1_shared (void) { run_v1 (FALSE); }
static void test_v1_private (void) { run_v1 (TRUE); }
static void test_v2_shared (void) { run_v2 (FALSE); }
static void test_v2_private (void) { run_v2 (TRUE); }

/* Fails closed: no machine cgroup, or a whole major allowed. */
static void
test_refusals (void)
{
  g_autoptr(Fixture) fx = fx_new ();
  g_autoptr(MkvmInventory) inv = statics (fx);
  g_autoptr(GError) error = NULL;
  const char *root = v2_root ();
  Victim v = victim_start (FALSE);

  g_setenv ("MULTIKVM_PROC", "/proc", TRUE);
  g_assert_false (mkvm_confine_qemu (inv, v.pid, mkvm_inventory_find (inv, 7), NULL, &error));
  g_assert_error (error, MKVM_ERROR, MKVM_ERROR_DEVICE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "in no libvirt machine cgroup"));
  g_clear_error (&error);
  if (root != NULL)
    {
      const guint64 keys[] = { KEY (1, 8), KEY (1, 0xffffffff) };
      g_autofree char *dir = machine_dir (root);
      g_autofree char *emu = g_build_filename (dir, "emulator", NULL);

      g_assert_cmpint (g_mkdir_with_parents (emu, 0755), ==, 0);
      attach_libvirt_like (dir, keys, G_N_ELEMENTS (keys));
      cg_enter (emu, v.pid);
      g_assert_false (mkvm_confine_qemu (inv, v.pid, mkvm_inventory_find (inv, 7), NULL,
                                         &error));
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, "allows every device 1:*"));
    }
  victim_stop (&v);
  if (root != NULL)
    cg_remove (root);
}

int
main (int argc, char **argv)
{
  fx_require_root (argc, argv);       /* mount namespaces, cgroups, mknod */
  g_test_init (&argc, &argv, NULL);
  /* our own "host": a private mount namespace with a tmpfs /dev */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    g_error ("cannot make a private mount namespace: %s", g_strerror (errno));
  make_dev ();
  g_test_add_func ("/confine/deny-list", test_deny_list);
  g_test_add_func ("/confine/wanted", test_wanted);
  g_test_add_func ("/confine/v1-shared", test_v1_shared);
  g_test_add_func ("/confine/v1-private", test_v1_private);
  g_test_add_func ("/confine/v2-shared", test_v2_shared);
  g_test_add_func ("/confine/v2-private", test_v2_private);
  g_test_add_func ("/confine/refusals", test_refusals);
  return g_test_run ();
}
