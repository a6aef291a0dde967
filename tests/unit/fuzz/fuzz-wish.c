/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the domain-metadata parser (mkvm_wish_from_xml). */
#include <stdint.h>
#include <string.h>
#include "multikvm.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  MkvmWish *w = mkvm_wish_from_xml ((const char *) data, size, &error);
  if (w)
    {
      /* invariants of a successful parse */
      if (!w->name || !*w->name || !mkvm_uuid_valid (w->uuid) || w->instance > MKVM_INSTANCE_MAX
          || (w->profile && !mkvm_profile_name_valid (w->profile)))
        __builtin_trap ();
      char *md = mkvm_wish_to_metadata (w->instance, w->profile);
      g_free (md);
      mkvm_wish_free (w);
    }
  else
    {
      if (!error || !error->message || strchr (error->message, '\n'))
        __builtin_trap ();   /* errors are one line */
      g_error_free (error);
    }
  return 0;
}
