/* SPDX-License-Identifier: GPL-2.0-or-later */
/* multikvm doctor: checks the host and prints the fix for each miss. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

typedef struct {
  guint ok, failed, warned, skipped;
  JsonBuilder *json;    /* --json: inside the "checks" array */
} Tally;

static void
tally_begin (Tally *t, CliGlobal *g)
{
  t->json = g->json;
  if (t->json)
    {
      json_builder_begin_object (t->json);
      json_builder_set_member_name (t->json, "checks");
      json_builder_begin_array (t->json);
    }
}

/* The last line (or the document's counts); returns doctor's exit code. */
static int
tally_end (Tally *t)
{
  if (t->json)
    {
      json_builder_end_array (t->json);
      mkvm_json_add_int (t->json, "ok", t->ok);
      mkvm_json_add_int (t->json, "failed", t->failed);
      mkvm_json_add_int (t->json, "warnings", t->warned);
      mkvm_json_add_int (t->json, "skipped", t->skipped);
      json_builder_end_object (t->json);
    }
  else
    printf ("%u ok, %u failed, %u warnings, %u skipped\n", t->ok, t->failed, t->warned,
            t->skipped);
  return t->failed ? EXIT_PROBLEMS : EXIT_OK;
}

static void
report (Tally *t, const char *verdict, const char *what, const char *problem, const char *fix)
{
  if (strcmp (verdict, "ok") == 0)
    t->ok++;
  else if (strcmp (verdict, "FAIL") == 0)
    t->failed++;
  else if (strcmp (verdict, "warn") == 0)
    t->warned++;
  else
    t->skipped++;
  if (t->json)
    {
      g_autofree char *v = g_ascii_strdown (verdict, -1);
      json_builder_begin_object (t->json);
      mkvm_json_add_string (t->json, "verdict", v);
      mkvm_json_add_string (t->json, "check", what);
      mkvm_json_add_string (t->json, "problem", problem);
      mkvm_json_add_string (t->json, "fix", fix);
      json_builder_end_object (t->json);
      return;
    }
  printf ("%-4s  %s%s%s\n", verdict, what, problem ? ": " : "", problem ? problem : "");
  if (fix)
    printf ("      fix: %s\n", fix);
}

/* Host file path: MULTIKVM_HOSTROOT (tests) prefixes absolute paths. */
static char *
host_path (const char *abs)
{
  const char *root = mkvm_test_getenv ("MULTIKVM_HOSTROOT");
  return g_strconcat (root ? root : "", abs, NULL);
}

static char *
read_host_file (const char *abs)
{
  g_autofree char *p = host_path (abs);
  char *text = NULL;
  g_file_get_contents (p, &text, NULL, NULL);
  return text;
}

static gboolean
strv_has (GPtrArray *a, const char *s)
{
  for (guint i = 0; a && i < a->len; i++)
    if (strcmp (g_ptr_array_index (a, i), s) == 0)
      return TRUE;
  return FALSE;
}

static void
check_vac (Tally *t, CliState *st)
{
  if (!st->inv->abi && st->inv->instances->len == 0)
    report (t, "FAIL", "vac", "not loaded (no /sys/kernel/vac) and no static instances",
            "systemctl start multikvm-modules (or: modprobe vac; modprobe kvm_amd_1)");
  else if (!st->inv->abi)
    report (t, "ok", "vac", "not loaded; static instances from the policy", NULL);
  else if (st->inv->instances->len == 0)
    report (t, "FAIL", "instances", "vac is loaded but no instance module is",
            "add instance modules to /etc/multikvm/modules.conf and systemctl restart "
            "multikvm-modules");
  else
    {
      g_autofree char *msg = g_strdup_printf ("vac ABI 1, %u instance(s), default %s",
                                              st->inv->instances->len,
                                              st->inv->default_instance ? "set" : "none");
      report (t, "ok", "vac", msg, NULL);
    }
  for (guint i = 0; i < st->inv->instances->len; i++)
    {
      MkvmInstance *in = g_ptr_array_index (st->inv->instances, i);
      g_autofree char *what = g_strdup_printf ("instance %u device %s", in->id, in->device);
      if (in->device_ok)
        report (t, "ok", what, NULL, NULL);
      else
        report (t, "FAIL", what, in->device_problem,
                "udevadm trigger --subsystem-match=misc --action=add (is the udev rule installed?)");
    }
}

static void
check_acl (Tally *t, CliState *st)
{
  g_autofree char *conf = read_host_file ("/etc/libvirt/qemu.conf");
  g_autoptr(GPtrArray) acl = conf ? mkvm_qemu_conf_device_acl (conf) : NULL;
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new ("cgroup_device_acl = [ \"/dev/null\", \"/dev/full\", "
                                          "\"/dev/zero\", \"/dev/random\", \"/dev/urandom\", "
                                          "\"/dev/ptmx\", \"/dev/kvm\", \"/dev/userfaultfd\"");
  for (guint i = 0; i < st->inv->instances->len; i++)
    {
      MkvmInstance *in = g_ptr_array_index (st->inv->instances, i);
      g_autofree char *node = in->is_static ? g_strdup (in->device)
                                            : g_strconcat ("/dev/", in->devname, NULL);
      if (!in->device_ok)
        continue;   /* reported by the device check; libvirt ignores missing nodes */
      if (strcmp (node, "/dev/kvm") != 0)
        g_string_append_printf (want, ", \"%s\"", node);
      if (!strv_has (acl, node))
        g_string_append_printf (missing, "%s%s", missing->len ? " " : "", node);
    }
  g_string_append (want, " ] in /etc/libvirt/qemu.conf, then systemctl restart libvirtd");
  if (!acl)
    report (t, "FAIL", "cgroup_device_acl", "not set in /etc/libvirt/qemu.conf (QEMU will not "
            "see the instance nodes)", want->str);
  else if (!strv_has (acl, "/dev/kvm"))
    report (t, "FAIL", "cgroup_device_acl", "lacks /dev/kvm (the setting replaces libvirt's "
            "default list)", want->str);
  else if (missing->len)
    {
      g_autofree char *msg = g_strdup_printf ("lacks %s", missing->str);
      report (t, "FAIL", "cgroup_device_acl", msg, want->str);
    }
  else
    report (t, "ok", "cgroup_device_acl", "lists every instance node", NULL);
}

/*
 * What the hook's confinement (mkvm-confine.h) needs: confine= not "no", a
 * device cgroup it can narrow, libvirt's devices controller on; a shared
 * mount namespace leaves the cgroup alone to do it.
 */
static void
check_confinement (Tally *t)
{
  g_autofree char *conf = read_host_file ("/etc/libvirt/qemu.conf");
  g_autoptr(GPtrArray) ctrls = conf ? mkvm_qemu_conf_list (conf, "cgroup_controllers") : NULL;
  g_autoptr(GPtrArray) ns = conf ? mkvm_qemu_conf_list (conf, "namespaces") : NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *how = NULL;
  gboolean wanted;

  if (!mkvm_confine_wanted (&wanted, &error))
    {
      report (t, "FAIL", "confinement", error->message,
              "write confine=yes (the default) or confine=no in /etc/multikvm/multikvm.conf");
      return;
    }
  if (!wanted)
    {
      report (t, "FAIL", "confinement", "confine=no in /etc/multikvm/multikvm.conf: every "
              "domain's QEMU may open every instance node in cgroup_device_acl, /dev/kvm "
              "included", "remove confine=no (confine=yes is the default)");
      return;
    }
  if (!mkvm_confine_host_support (&how, &error))
    {
      report (t, "FAIL", "confinement", error->message,
              "mount cgroup2 (or the cgroup v1 devices controller): the hook narrows each "
              "domain's device cgroup");
      return;
    }
  if (ctrls && !strv_has (ctrls, "devices"))
    {
      report (t, "FAIL", "confinement", "cgroup_controllers in /etc/libvirt/qemu.conf lacks "
              "\"devices\": domains get no device cgroup to narrow (every start fails)",
              "add \"devices\" to cgroup_controllers (or remove the setting), then "
              "systemctl restart libvirtd");
      return;
    }
  if (ns && !strv_has (ns, "mount"))
    {
      g_autofree char *msg = g_strdup_printf (
          "namespaces in /etc/libvirt/qemu.conf lacks \"mount\": QEMU shares the host's /dev, "
          "so only its device cgroup confines it (%s; nodes of its own device number stay "
          "open to it)", how);
      report (t, "warn", "confinement", msg,
              "remove the namespaces setting (libvirt's default is [ \"mount\" ]), then "
              "systemctl restart libvirtd");
      return;
    }
  {
    g_autofree char *msg = g_strdup_printf ("confine=yes: at started each domain's device "
                                            "cgroup is narrowed to its instance (%s) and the "
                                            "other nodes leave its private /dev", how);
    report (t, "ok", "confinement", msg, NULL);
  }
}

static void
check_file (Tally *t, const char *what, const char *const *paths, const char *needle,
            gboolean exec, const char *fix)
{
  for (guint i = 0; paths[i]; i++)
    {
      g_autofree char *p = host_path (paths[i]);
      g_autofree char *text = NULL;
      struct stat s;
      if (stat (p, &s) < 0)
        continue;
      if (exec && !(s.st_mode & 0111))
        {
          g_autofree char *msg = g_strdup_printf ("%s is not executable (libvirt skips it "
                                                  "silently)", paths[i]);
          report (t, "FAIL", what, msg, fix);
          return;
        }
      if (needle && (!g_file_get_contents (p, &text, NULL, NULL) || !strstr (text, needle)))
        {
          g_autofree char *msg = g_strdup_printf ("%s lacks '%s'", paths[i], needle);
          report (t, "FAIL", what, msg, fix);
          return;
        }
      report (t, "ok", what, paths[i], NULL);
      return;
    }
  g_autofree char *msg = g_strdup_printf ("%s missing", paths[0]);
  report (t, "FAIL", what, msg, fix);
}

static void
check_stock_kvm (Tally *t, gboolean vac_loaded)
{
  static const char *const paths[] = { "/usr/lib/modprobe.d/multikvm.conf",
    "/lib/modprobe.d/multikvm.conf", "/etc/modprobe.d/multikvm.conf",
    "/usr/local/lib/modprobe.d/multikvm.conf", NULL };
  static const char *const mods[] = { "kvm", "kvm_amd", "kvm_intel" };
  g_autofree char *text = NULL;
  const char *found = NULL;

  if (!vac_loaded)
    {
      report (t, "skip", "stock KVM", "vac is not loaded (static instances may be stock KVM)",
              NULL);
      return;
    }
  for (guint i = 0; paths[i] && !found; i++)
    if ((text = read_host_file (paths[i])))
      found = paths[i];
  if (!found)
    report (t, "FAIL", "stock KVM kept from autoloading", "no multikvm.conf in modprobe.d",
            "meson install -C build (prefix /usr) installs /usr/lib/modprobe.d/multikvm.conf");
  else
    {
      g_autoptr(GString) missing = g_string_new (NULL);
      for (guint i = 0; i < G_N_ELEMENTS (mods); i++)
        {
          g_autofree char *b = g_strdup_printf ("\nblacklist %s\n", mods[i]);
          g_autofree char *in = g_strdup_printf ("\ninstall %s ", mods[i]);
          g_autofree char *nl = g_strconcat ("\n", text, NULL);
          if (!strstr (nl, b) || !strstr (nl, in))
            g_string_append_printf (missing, " %s", mods[i]);
        }
      if (missing->len)
        {
          g_autofree char *msg = g_strdup_printf ("%s lacks blacklist/install lines for%s",
                                                  found, missing->str);
          report (t, "FAIL", "stock KVM kept from autoloading", msg,
                  "reinstall it: meson install -C build (prefix /usr)");
        }
      else
        report (t, "ok", "stock KVM kept from autoloading", found, NULL);
    }
  for (guint i = 0; i < G_N_ELEMENTS (mods); i++)
    {
      g_autofree char *p = g_build_filename (mkvm_path_sysfs (), "module", mods[i], NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        {
          g_autofree char *what = g_strdup_printf ("stock %s", mods[i]);
          g_autofree char *fix = g_strdup_printf ("stop its VMs, then modprobe -r %s",
                                                  strcmp (mods[i], "kvm") ? mods[i] : "kvm");
          report (t, "FAIL", what, "loaded (conflicts with vac)", fix);
        }
    }
}

static gboolean
apparmor_enabled (void)
{
  g_autofree char *p = g_build_filename (mkvm_path_sysfs (), "module", "apparmor", "parameters",
                                         "enabled", NULL);
  g_autofree char *en = NULL;

  return g_file_get_contents (p, &en, NULL, NULL) && g_ascii_toupper (g_strstrip (en)[0]) == 'Y';
}

static void
check_apparmor (Tally *t)
{
  static const char *const qemu[] = { "/etc/apparmor.d/abstractions/libvirt-qemu.d/multikvm", NULL };
  static const char *const virtd[] = { "/etc/apparmor.d/local/usr.sbin.libvirtd", NULL };
  static const char *const virtd_d[] = {
    "/etc/apparmor.d/local/usr.sbin.libvirtd.d/multikvm", NULL };

  if (!apparmor_enabled ())
    {
      report (t, "skip", "AppArmor", "not enabled", NULL);
      return;
    }
  check_file (t, "AppArmor libvirt-qemu rules", qemu, "/dev/kvm[0-9]*", FALSE,
              "meson install -C build (prefix /usr) installs "
              "/etc/apparmor.d/abstractions/libvirt-qemu.d/multikvm; then systemctl reload apparmor");
  /* libvirtd's profile includes only local/usr.sbin.libvirtd: our drop-in
   * directory must be included from there, and hold our rules. */
  check_file (t, "AppArmor libvirtd include", virtd, "usr.sbin.libvirtd.d", FALSE,
              "add 'include if exists <local/usr.sbin.libvirtd.d>' to "
              "/etc/apparmor.d/local/usr.sbin.libvirtd (a live meson install does) "
              "and systemctl reload apparmor");
  check_file (t, "AppArmor libvirtd rules", virtd_d, "multikvm-qemu", FALSE,
              "meson install -C build (prefix /usr) installs "
              "/etc/apparmor.d/local/usr.sbin.libvirtd.d/multikvm; then systemctl reload apparmor");
}

/* `multikvm divert` (mkvm-divert.h): the mode, and with it on, the AppArmor
 * rule that lets the wrapper exec the diverted QEMU. */
static MkvmDivertMode
check_divert (Tally *t)
{
  static const char *const qemu[] = { "/etc/apparmor.d/abstractions/libvirt-qemu.d/multikvm", NULL };
  g_autoptr(MkvmDivert) d = mkvm_divert_read ();
  g_autofree char *msg = NULL;

  switch (d->mode)
    {
    case MKVM_DIVERT_ON:
      msg = g_strdup_printf ("on: %s is the wrapper (-> %s), QEMU is %s", MKVM_DIVERT_STOCK,
                             d->stock_target, MKVM_DIVERT_REAL);
      report (t, "ok", "divert", msg, NULL);
      if (apparmor_enabled ())
        check_file (t, "AppArmor divert rule", qemu, MKVM_DIVERT_REAL, FALSE,
                    "meson install -C build (prefix /usr) installs "
                    "/etc/apparmor.d/abstractions/libvirt-qemu.d/multikvm; then systemctl "
                    "reload apparmor");
      break;
    case MKVM_DIVERT_OFF:
      report (t, "ok", "divert", "off: domains are placed only if their <emulator> is "
              "multikvm-qemu", NULL);
      break;
    case MKVM_DIVERT_HALF:
      msg = g_strdup_printf ("half: %s", d->problem);
      report (t, "FAIL", "divert", msg, "multikvm divert on (to finish it) or multikvm divert "
              "off (to undo it)");
      break;
    case MKVM_DIVERT_FOREIGN:
      msg = g_strdup_printf ("unavailable: %s", d->problem);
      report (t, "warn", "divert", msg, "set <emulator> to multikvm-qemu in each domain");
      break;
    }
  return d->mode;
}

static char *
qemu_binary (void)
{
  char *q = mkvm_conf_get ("qemu", NULL);
  return q ? q : g_strdup ("/usr/bin/qemu-system-x86_64");
}

static void
check_qemu (Tally *t)
{
  g_autofree char *q = qemu_binary ();
  const char *argv[] = { q, "-accel", "kvm,device=/nonexistent/multikvm-probe", "-machine",
                         "none", "-nodefaults", "-display", "none", "-S", NULL };
  g_autofree char *err = NULL;
  int status;
  g_autoptr(GError) error = NULL;

  if (!g_file_test (q, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_autofree char *msg = g_strdup_printf ("%s not found", q);
      report (t, "FAIL", "QEMU", msg, "install qemu-system-x86 (>= 9.0) or set qemu= in "
              "/etc/multikvm/multikvm.conf");
      return;
    }
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                     &err, &status, &error))
    {
      report (t, "FAIL", "QEMU -accel kvm,device=", error->message, NULL);
      return;
    }
  if (err && strstr (err, "device") && strstr (err, "not found"))
    {
      g_autofree char *msg = g_strdup_printf ("%s does not support it", q);
      report (t, "FAIL", "QEMU -accel kvm,device=", msg, "install QEMU >= 9.0 (e.g. from "
              "bookworm-backports) and point qemu= in /etc/multikvm/multikvm.conf at it");
    }
  else
    report (t, "ok", "QEMU -accel kvm,device=", q, NULL);
}

static void
check_domains (Tally *t, CliGlobal *g, gboolean divert_on)
{
  virConnectPtr conn;
  virDomainPtr *doms = NULL;
  int n;
  guint bad = 0, total = 0, nometa = 0;
  g_autoptr(GString) nometa_names = g_string_new (NULL);

  conn = cli_virt_open (g->uri, TRUE);
  if (!conn)
    {
      g_autofree char *msg = g_strdup_printf ("cannot connect to libvirt: %s",
                                              cli_virt_message ());
      report (t, "warn", "domain emulators", msg, "start libvirtd, or pass -c URI");
      return;
    }
  n = virConnectListAllDomains (conn, &doms, 0);
  for (int i = 0; i < n; i++)
    {
      char *xml = virDomainGetXMLDesc (doms[i], VIR_DOMAIN_XML_INACTIVE);
      const char *name = virDomainGetName (doms[i]);
      g_autoptr(MkvmDomain) d = xml ? mkvm_domain_from_xml (xml, -1) : NULL;
      const char *emu = d ? d->emulator : NULL;
      const MkvmWish *w = d ? d->wish : NULL;
      if (d && g_strcmp0 (d->type, "kvm") == 0)
        {
          total++;
          g_autofree char *base = emu ? g_path_get_basename (emu) : NULL;
          if (!emu || (strcmp (emu, MKVM_WRAPPER_PATH) != 0
                       && strcmp (base, "multikvm-qemu") != 0
                       && !(divert_on && strcmp (emu, MKVM_DIVERT_STOCK) == 0)))
            {
              g_autofree char *what = g_strdup_printf ("domain '%s' emulator", name);
              g_autofree char *msg = g_strdup_printf ("is %s, not the wrapper", emu ? emu : "unset");
              g_autofree char *fix = g_strdup_printf (
                  "virsh edit %s: <emulator>%s</emulator>%s", name, MKVM_WRAPPER_PATH,
                  g_strcmp0 (emu, MKVM_DIVERT_STOCK) == 0 ? " (or: multikvm divert on)" : "");
              report (t, "FAIL", what, msg, fix);
              bad++;
            }
          if (w && !w->has_metadata)
            {
              nometa++;
              g_string_append_printf (nometa_names, "%s%s", nometa_names->len ? ", " : "", name);
            }
        }
      if (xml && !w)
        {
          g_autofree char *what = g_strdup_printf ("domain '%s' metadata", name);
          g_autofree char *fix = g_strdup_printf ("multikvm assign %s --instance N | "
                                                  "--profile P --config", name);
          report (t, "FAIL", what, d->wish_error->message, fix);
        }
      free (xml);
      virDomainFree (doms[i]);
    }
  free (doms);
  virConnectClose (conn);
  if (nometa)
    {
      g_autofree char *msg = g_strdup_printf ("%u KVM domain(s) have no <mkvm:kvm> metadata "
                                              "and get the default profile: %s", nometa,
                                              nometa_names->str);
      report (t, "warn", "domain metadata", msg,
              "multikvm assign DOMAIN --profile P --config (or --instance N) to choose");
    }
  if (n < 0)
    report (t, "warn", "domain emulators", "cannot list domains", NULL);
  else if (!bad)
    {
      g_autofree char *msg = g_strdup_printf ("%u KVM domain(s) use multikvm-qemu%s", total,
                                              divert_on ? " (or the stock path: divert is on)"
                                                        : "");
      report (t, "ok", "domain emulators", msg, NULL);
    }
}

int
cmd_doctor (CliGlobal *g, int argc, char **argv)
{
  static const char *const hook[] = { MKVM_HOOK_PATH, NULL };
  static const char *const udev[] = { "/usr/lib/udev/rules.d/60-multikvm.rules",
    "/lib/udev/rules.d/60-multikvm.rules", "/etc/udev/rules.d/60-multikvm.rules",
    "/usr/local/lib/udev/rules.d/60-multikvm.rules", NULL };
  Tally t = { 0 };
  CliState st;
  int code;
  g_autoptr(GError) error = NULL;

  if (argc != 1)
    return cli_usage ("doctor");
  tally_begin (&t, g);
  {
    g_autoptr(MkvmPolicy) p = mkvm_policy_load (NULL, &error);
    if (!p)
      {
        report (&t, "FAIL", "policy", error->message, "fix the policy file (see multikvm(8), "
                "docs/policy.md)");
        return tally_end (&t);
      }
    g_autofree char *msg = g_strdup_printf ("%s, %u profile(s), default %s", p->source,
                                            p->profiles->len, p->default_profile);
    report (&t, "ok", "policy", msg, NULL);
  }
  if (!cli_state_load (&st, &code))
    {
      report (&t, "FAIL", "vac sysfs", "unreadable (see the message above)", NULL);
      return tally_end (&t);
    }
  check_vac (&t, &st);
  check_acl (&t, &st);
  check_confinement (&t);
  check_file (&t, "libvirt hook", hook, NULL, TRUE,
              "install multikvm-hook as " MKVM_HOOK_PATH " (executable), then restart "
              "libvirtd once");
  check_domains (&t, g, check_divert (&t) == MKVM_DIVERT_ON);
  check_qemu (&t);
  check_file (&t, "udev rule", udev, "kvm[0-9]*", FALSE,
              "meson install -C build (prefix /usr) installs the udev rule 60-multikvm.rules, "
              "then udevadm control --reload && udevadm trigger");
  check_stock_kvm (&t, st.inv->abi != 0);
  check_apparmor (&t);
  cli_state_clear (&st);
  return tally_end (&t);
}
