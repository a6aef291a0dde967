/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the host-policy parser (schema + semantics). */
#include <stdint.h>
#include <string.h>
#include "multikvm.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  MkvmPolicy *p = mkvm_policy_parse ((const char *) data, size, "fuzz.xml", &error);
  if (p)
    {
      if (!mkvm_policy_find_profile (p, p->default_profile) || p->order->len == 0)
        __builtin_trap ();
      for (guint i = 0; i < p->statics->len; i++)
        {
          MkvmStaticInstance *s = g_ptr_array_index (p->statics, i);
          if (s->id < 1 || s->id > MKVM_INSTANCE_MAX || s->device[0] != '/')
            __builtin_trap ();
        }
      mkvm_policy_free (p);
    }
  else
    {
      if (!error || strchr (error->message, '\n'))
        __builtin_trap ();
      g_error_free (error);
    }
  return 0;
}
