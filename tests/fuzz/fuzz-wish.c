/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: a domain's XML (mkvm_domain_from_xml: the facts and the wish;
 * mkvm_wish_normalize_xml: the short form moved, as `multikvm define` does). */
#include "fuzz.h"

static gboolean
plain_name (const char *s)
{
  for (; *s; s++)
    if ((guchar) *s < 0x20 || *s == 0x7f)
      return FALSE;
  return TRUE;
}

/* The wish written back as metadata (what `multikvm assign` writes) reads
 * back the same. */
static void
check_round_trip (const MkvmWish *w)
{
  g_autofree char *md = mkvm_wish_to_metadata (w->instance, w->profile);
  /* "<kvm ATTRS/>": libvirt adds the namespace (md is at least "<kvm/>") */
  g_autofree char *attrs = g_strndup (md + 4, strlen (md) - 6);
  g_autofree char *xml = g_strdup_printf ("<domain type='kvm'><name>n</name><uuid>%s</uuid>"
                                          "<metadata><mkvm:kvm xmlns:mkvm='%s'%s/></metadata>"
                                          "</domain>", w->uuid, MKVM_METADATA_URI, attrs);
  g_autoptr(GError) error = NULL;
  g_autoptr(MkvmWish) again = mkvm_wish_from_xml (xml, -1, &error);

  FUZZ_CHECK (g_str_has_prefix (md, "<kvm") && g_str_has_suffix (md, "/>"));
  FUZZ_CHECK (again != NULL);
  FUZZ_CHECK (again->instance == w->instance);
  FUZZ_CHECK (g_strcmp0 (again->profile, w->profile) == 0);
}

/* The short form moved: an error, the same text, or a text with nothing
 * left to move whose wish is in <metadata>. */
static void
check_normalize (const char *xml, size_t size)
{
  g_autoptr(GError) error = NULL;
  gboolean moved = FALSE, again = TRUE;
  g_autofree char *out = mkvm_wish_normalize_xml (xml, size, &moved, &error);
  g_autofree char *out2 = NULL;

  FUZZ_CHECK ((out == NULL) != (error == NULL));
  if (!out)
    {
      fuzz_check_error (error);
      return;
    }
  if (!moved)
    {
      FUZZ_CHECK (strncmp (out, xml, size) == 0);
      return;
    }
  out2 = mkvm_wish_normalize_xml (out, -1, &again, &error);
  FUZZ_CHECK (out2 != NULL && !again && strcmp (out, out2) == 0);
  FUZZ_CHECK (strstr (out, MKVM_METADATA_URI) != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml ((const char *) data, size);
  const MkvmWish *w = d->wish;

  check_normalize ((const char *) data, size);
  FUZZ_CHECK ((w == NULL) != (d->wish_error == NULL));
  if (d->uuid)
    {
      g_autofree char *lower = g_ascii_strdown (d->uuid, -1);
      FUZZ_CHECK (mkvm_uuid_valid (d->uuid) && strcmp (lower, d->uuid) == 0);
    }
  /* Nova's flavor: read leniently, never empty or with control characters */
  FUZZ_CHECK (!d->flavor || (*d->flavor && plain_name (d->flavor)));
  if (!w)
    {
      const char *named = mkvm_error_get_domain (d->wish_error);

      fuzz_check_error (d->wish_error);
      /* an error that names the domain names the one in the XML, first */
      if (named)
        {
          g_autofree char *prefix = g_strdup_printf ("domain '%s': ", named);
          FUZZ_CHECK (g_strcmp0 (named, d->name) == 0);
          FUZZ_CHECK (g_str_has_prefix (d->wish_error->message, prefix));
        }
      return 0;
    }
  FUZZ_CHECK (w->name && *w->name && plain_name (w->name));
  FUZZ_CHECK (g_strcmp0 (w->name, d->name) == 0 && g_strcmp0 (w->uuid, d->uuid) == 0);
  FUZZ_CHECK (w->uuid != NULL && w->instance <= MKVM_INSTANCE_MAX);
  FUZZ_CHECK (!w->profile || mkvm_profile_name_valid (w->profile));
  FUZZ_CHECK (w->has_metadata || (!w->instance && !w->profile));
  FUZZ_CHECK (g_strcmp0 (w->flavor, d->flavor) == 0);
  check_round_trip (w);
  return 0;
}
