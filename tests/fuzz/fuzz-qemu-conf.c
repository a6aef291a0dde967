/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: cgroup_device_acl in libvirt's qemu.conf (doctor's check). */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *conf = fuzz_text (data, size);
  g_autoptr(GPtrArray) acl = mkvm_qemu_conf_device_acl (conf);
  g_autoptr(GString) again = NULL;
  g_autoptr(GPtrArray) acl2 = NULL;

  if (!acl)
    return 0;
  /* the list written back the way the README and doctor write it reads
   * back the same */
  again = g_string_new ("cgroup_device_acl = [");
  for (guint i = 0; i < acl->len; i++)
    {
      const char *e = g_ptr_array_index (acl, i);
      FUZZ_CHECK (!strchr (e, '"'));
      g_string_append_printf (again, "%s \"%s\"", i ? "," : "", e);
    }
  g_string_append (again, " ]\n");
  acl2 = mkvm_qemu_conf_device_acl (again->str);
  FUZZ_CHECK (acl2 != NULL && acl2->len == acl->len);
  for (guint i = 0; i < acl->len; i++)
    FUZZ_CHECK (strcmp (g_ptr_array_index (acl, i), g_ptr_array_index (acl2, i)) == 0);
  return 0;
}
