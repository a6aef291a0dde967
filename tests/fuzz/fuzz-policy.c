/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the host policy (mkvm_policy_parse: schema and semantics). */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmPolicy) p = mkvm_policy_parse ((const char *) data, size, "fuzz.xml", &error);

  if (!p)
    {
      fuzz_check_error (error);
      return 0;
    }
  FUZZ_CHECK (mkvm_policy_find_profile (p, p->default_profile) != NULL);
  FUZZ_CHECK (p->order->len > 0);
  for (guint i = 0; i < p->profiles->len; i++)
    {
      MkvmProfile *prof = g_ptr_array_index (p->profiles, i);
      FUZZ_CHECK (mkvm_profile_name_valid (prof->name));
      FUZZ_CHECK (mkvm_policy_find_profile (p, prof->name) == prof);   /* unique */
    }
  for (guint i = 0; i < p->flavors->len; i++)
    {
      MkvmFlavor *f = g_ptr_array_index (p->flavors, i);
      const MkvmProfile *prof = mkvm_policy_find_profile (p, f->profile);
      FUZZ_CHECK (mkvm_domain_name_valid (f->name));
      FUZZ_CHECK (prof && !prof->restricted);
      FUZZ_CHECK (mkvm_policy_flavor_profile (p, f->name) == f->profile);   /* unique */
    }
  for (guint i = 0; i < p->statics->len; i++)
    {
      MkvmStaticInstance *s = g_ptr_array_index (p->statics, i);
      FUZZ_CHECK (s->id >= 1 && s->id <= MKVM_INSTANCE_MAX);
      FUZZ_CHECK (s->device && s->device[0] == '/' && !strstr (s->device, "/../"));
    }
  return 0;
}
