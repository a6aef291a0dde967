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

char *
fx_nova_metadata (const char *version, const char *flavor)
{
  /* The shape nova/virt/libvirt/config.py (LibvirtConfigGuestMetaNova*) writes. */
  return g_strdup_printf (
    "<nova:instance xmlns:nova=\"http://openstack.org/xmlns/libvirt/nova/%s\">\n"
    "      <nova:package version=\"30.0.0\"/>\n"
    "      <nova:name>web1</nova:name>\n"
    "      <nova:creationTime>2026-11-30 09:12:44</nova:creationTime>\n"
    "      <nova:flavor name=\"%s\" id=\"4f0c1a2e-3b1d-4c55-9a0e-6d2f1b7c8e90\">\n"
    "        <nova:memory>2048</nova:memory>\n"
    "        <nova:disk>20</nova:disk>\n"
    "        <nova:swap>0</nova:swap>\n"
    "        <nova:ephemeral>0</nova:ephemeral>\n"
    "        <nova:vcpus>1</nova:vcpus>\n"
    "        <nova:extraSpecs>\n"
    "          <nova:extraSpec name=\"trait:CUSTOM_MKVM_PROFILE_HARDENED\">required</nova:extraSpec>\n"
    "        </nova:extraSpecs>\n"
    "      </nova:flavor>\n"
    "      <nova:image uuid=\"0b7f5e2c-8a1d-4f3e-b6c9-2d4e8a1f7c35\">\n"
    "        <nova:containerFormat>bare</nova:containerFormat>\n"
    "        <nova:diskFormat>qcow2</nova:diskFormat>\n"
    "        <nova:minDisk>0</nova:minDisk>\n"
    "        <nova:minRam>0</nova:minRam>\n"
    "        <nova:properties/>\n"
    "      </nova:image>\n"
    "      <nova:owner>\n"
    "        <nova:user uuid=\"9d3b7e1f2a4c4d5e8f6a7b8c9d0e1f2a\">admin</nova:user>\n"
    "        <nova:project uuid=\"1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6\">admin</nova:project>\n"
    "      </nova:owner>\n"
    "      <nova:root type=\"image\" uuid=\"0b7f5e2c-8a1d-4f3e-b6c9-2d4e8a1f7c35\"/>\n"
    "      <nova:ports>\n"
    "        <nova:port uuid=\"5c8e2f1a-7b3d-4e6f-9a1c-8d2e4f6a0b13\">\n"
    "          <nova:ip type=\"fixed\" address=\"10.0.0.5\" ipVersion=\"4\"/>\n"
    "        </nova:port>\n"
    "      </nova:ports>\n"
    "    </nova:instance>", version, flavor);
}
