/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "fixture.h"

void
fx_write (const char *path, const char *text)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

void
fx_require_root (int argc, char **argv)
{
  gboolean tap = FALSE;

  if (geteuid () == 0)
    return;
  for (int i = 1; i < argc; i++)
    tap |= strcmp (argv[i], "--tap") == 0;
  printf ("1..0 # SKIP %s needs root (mknod in its fixture)\n", argv[0]);
  exit (tap ? 0 : 77);
}

Fixture *
fx_new (void)
{
  Fixture *fx = g_new0 (Fixture, 1);
  g_autoptr(GError) error = NULL;
  fx->root = g_dir_make_tmp ("mkvm-unit-XXXXXX", &error);
  g_assert_no_error (error);
  fx->sys = g_build_filename (fx->root, "sys", NULL);
  fx->dev = g_build_filename (fx->root, "dev", NULL);
  fx->run = g_build_filename (fx->root, "run", NULL);
  fx->proc = g_build_filename (fx->root, "proc", NULL);
  fx->policy = g_build_filename (fx->root, "policy.xml", NULL);
  fx->libvirt = g_build_filename (fx->root, "libvirt-qemu", NULL);
  g_mkdir_with_parents (fx->sys, 0755);
  g_mkdir_with_parents (fx->dev, 0755);
  g_mkdir_with_parents (fx->proc, 0755);
  g_setenv ("MULTIKVM_SYSFS", fx->sys, TRUE);
  g_setenv ("MULTIKVM_DEVDIR", fx->dev, TRUE);
  g_setenv ("MULTIKVM_RUNDIR", fx->run, TRUE);
  g_setenv ("MULTIKVM_PROC", fx->proc, TRUE);
  g_setenv ("MULTIKVM_POLICY", fx->policy, TRUE);
  g_setenv ("MULTIKVM_LIBVIRT_RUNDIR", fx->libvirt, TRUE);
  return fx;
}

static void
rm_rf (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  if (d)
    {
      const char *n;
      while ((n = g_dir_read_name (d)))
        {
          g_autofree char *p = g_build_filename (path, n, NULL);
          if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
            rm_rf (p);
          else
            g_unlink (p);
        }
      g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

void
fx_free (Fixture *fx)
{
  if (!fx)
    return;
  if (!g_getenv ("MKVM_KEEP_FIXTURE"))
    rm_rf (fx->root);
  g_free (fx->root);
  g_free (fx->sys);
  g_free (fx->dev);
  g_free (fx->run);
  g_free (fx->proc);
  g_free (fx->policy);
  g_free (fx->libvirt);
  g_free (fx);
}

static void
put (const char *dir, const char *name, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
put (const char *dir, const char *name, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  va_start (ap, fmt);
  g_autofree char *text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fx_write (path, text);
}

void
fx_vac (Fixture *fx, const char *abi)
{
  g_autofree char *vac = g_build_filename (fx->sys, "kernel", "vac", NULL);
  g_autofree char *inst = g_build_filename (vac, "instances", NULL);
  g_mkdir_with_parents (inst, 0755);
  put (vac, "abi", "%s\n", abi ? abi : "1");
  put (vac, "vendor", "amd\n");
  put (vac, "default_instance", "none\n");
}

void
fx_instance (Fixture *fx, guint id, gint64 build_time, guint vms, const char *params)
{
  g_autofree char *idtext = g_strdup_printf ("%u", id);
  g_autofree char *dir = g_build_filename (fx->sys, "kernel", "vac", "instances", idtext, NULL);
  g_autofree char *module = g_strdup_printf ("kvm_amd_%u", id);
  g_autofree char *devname = g_strdup_printf ("kvm%u", id);
  g_autofree char *node = g_build_filename (fx->dev, devname, NULL);
  g_autofree char *pdir = g_build_filename (fx->sys, "module", module, "parameters", NULL);

  g_mkdir_with_parents (dir, 0755);
  g_mkdir_with_parents (pdir, 0755);
  put (dir, "id", "%u\n", id);
  put (dir, "vendor", "amd\n");
  put (dir, "module", "%s\n", module);
  put (dir, "devname", "%s\n", devname);
  put (dir, "dev", "240:%u\n", id);
  put (dir, "build_id", "6.12.117-1~deb12u1 0.1.0 3f2a9c%02u\n", id % 100);
  put (dir, "build_time", "%" G_GINT64_FORMAT "\n", build_time);
  put (dir, "load_time", "%" G_GINT64_FORMAT "\n", build_time + 100);
  put (dir, "vms", "%u\n", vms);
  put (dir, "vcpus", "%u\n", vms * 2);
  if (params)
    {
      g_auto(GStrv) kv = g_strsplit (params, " ", -1);
      for (char **p = kv; *p; p++)
        {
          char *eq = strchr (*p, '=');
          if (!eq)
            continue;
          *eq = '\0';
          put (pdir, *p, "%s\n", eq + 1);
        }
    }
  g_unlink (node);
  if (mknod (node, S_IFCHR | 0600, makedev (240, id)) < 0)
    g_error ("mknod %s: %s (the unit tests need root)", node, g_strerror (errno));
}

void
fx_build (Fixture *fx, guint id, const char *kvm_version, const char *patches)
{
  g_autofree char *idtext = g_strdup_printf ("%u", id);
  g_autofree char *dir = g_build_filename (fx->sys, "kernel", "vac", "instances", idtext, NULL);

  put (dir, "kvm_version", "%s\n", kvm_version);
  put (dir, "kvm_source", "%s-1~deb12u1\n", kvm_version);
  put (dir, "multikvm_version", "0.1.0\n");
  put (dir, "series", "3f2a9c01\n");
  put (dir, "patches", "%s\n", patches);
  put (dir, "kernel", "6.12.107+deb12-amd64\n");
}

void
fx_write_policy (Fixture *fx, const char *xml)
{
  fx_write (fx->policy, xml);
}

void
fx_process (Fixture *fx, pid_t pid, const char *uuid, const char *name, const guint *ids)
{
  g_autofree char *pidtext = g_strdup_printf ("%d", (int) pid);
  g_autofree char *pdir = g_build_filename (fx->proc, pidtext, NULL);
  g_autofree char *fddir = g_build_filename (pdir, "fd", NULL);
  g_autofree char *cmdline = g_build_filename (pdir, "cmdline", NULL);
  GString *cl = g_string_new ("/usr/bin/qemu-system-x86_64");
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (fddir, 0755);
  g_string_append_len (cl, "\0-name\0", 7);
  g_string_append_printf (cl, "guest=%s,debug-threads=on", name);
  g_string_append_len (cl, "\0-uuid\0", 7);
  g_string_append (cl, uuid);
  g_string_append_c (cl, '\0');
  g_file_set_contents (cmdline, cl->str, cl->len, &error);
  g_assert_no_error (error);
  g_string_free (cl, TRUE);
  {
    g_autofree char *fd0 = g_build_filename (fddir, "0", NULL);
    g_unlink (fd0);
    g_assert_cmpint (symlink ("/dev/null", fd0), ==, 0);
  }
  for (guint i = 0; ids && ids[i]; i++)
    {
      g_autofree char *fdn = g_strdup_printf ("%u", 10 + i);
      g_autofree char *fdp = g_build_filename (fddir, fdn, NULL);
      g_autofree char *dn = g_strdup_printf ("kvm%u", ids[i]);
      g_autofree char *target = g_build_filename (fx->dev, dn, NULL);
      g_unlink (fdp);
      g_assert_cmpint (symlink (target, fdp), ==, 0);
    }
}

char *
fx_domain_xml (const char *name, const char *uuid, const char *metadata)
{
  return g_strdup_printf ("<domain type='kvm'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
                          "  <memory unit='KiB'>65536</memory>\n%s%s%s"
                          "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
                          "</domain>\n", name, uuid,
                          metadata ? "  <metadata>\n    " : "", metadata ? metadata : "",
                          metadata ? "\n  </metadata>\n" : "");
}

void
fx_libvirt_domain (Fixture *fx, const char *name, const char *uuid, pid_t pid,
                   gboolean systemd)
{
  g_autofree char *pidtext = g_strdup_printf ("%d", (int) pid);
  g_autofree char *pidfile = g_strdup_printf ("%s.pid", name);
  g_autofree char *xmlfile = g_strdup_printf ("%s.xml", name);
  g_autofree char *cgroup = g_build_filename (fx->proc, pidtext, "cgroup", NULL);

  put (fx->libvirt, pidfile, "%d", (int) pid);
  put (fx->libvirt, xmlfile,
       "<domstatus state='running' reason='booted' pid='%d'>\n"
       "  <monitor path='/var/lib/libvirt/qemu/domain-1-x/monitor.sock' type='unix'/>\n"
       "  <domain type='kvm' id='1'>\n    <name>%s</name>\n    <uuid>%s</uuid>\n"
       "  </domain>\n</domstatus>\n", (int) pid, name, uuid);
  if (systemd)
    {
      g_autofree char *text = g_strdup_printf (
          "0::/machine.slice/machine-qemu\\x2d1\\x2d%s.scope/libvirt/emulator\n", name);
      fx_write (cgroup, text);
    }
  else
    fx_write (cgroup, "12:devices:/machine/qemu-1-x.libvirt-qemu/emulator\n"
                      "0::/machine/qemu-1-x.libvirt-qemu/emulator\n");
}
