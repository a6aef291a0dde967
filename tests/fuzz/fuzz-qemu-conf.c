/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the lists doctor reads from libvirt's qemu.conf
 * (cgroup_device_acl, cgroup_controllers, namespaces). */
#include "fuzz.h"

static void
check_list (const char *conf, const char *key)
{
  g_autoptr(GPtrArray) acl = mkvm_qemu_conf_list (conf, key);
  g_autoptr(GString) again = NULL;
  g_autoptr(GPtrArray) acl2 = NULL;

  if (!acl)
    return;
  /* the list written back the way the README and doctor write it reads
   * back the same */
  again = g_string_new (key);
  g_string_append (again, " = [");
  for (guint i = 0; i < acl->len; i++)
    {
      const char *e = g_ptr_array_index (acl, i);
      FUZZ_CHECK (!strchr (e, '"'));
      g_string_append_printf (again, "%s \"%s\"", i ? "," : "", e);
    }
  g_string_append (again, " ]\n");
  acl2 = mkvm_qemu_conf_list (again->str, key);
  FUZZ_CHECK (acl2 != NULL && acl2->len == acl->len);
  for (guint i = 0; i < acl->len; i++)
    FUZZ_CHECK (strcmp (g_ptr_array_index (acl, i), g_ptr_array_index (acl2, i)) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *conf = fuzz_text (data, size);
  g_autoptr(GPtrArray) acl = mkvm_qemu_conf_device_acl (conf);
  g_autoptr(GPtrArray) acl2 = mkvm_qemu_conf_list (conf, "cgroup_device_acl");

  /* the wrapper is the list */
  FUZZ_CHECK ((acl == NULL) == (acl2 == NULL));
  FUZZ_CHECK (!acl || acl->len == acl2->len);
  check_list (conf, "cgroup_device_acl");
  check_list (conf, "cgroup_controllers");
  check_list (conf, "namespaces");
  return 0;
}
