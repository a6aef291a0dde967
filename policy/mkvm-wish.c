/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>
#include "mkvm-wish.h"
#include "mkvm-domain.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-placement.h"
#include "mkvm-state.h"
#include "mkvm-private.h"
#include "mkvm-xml.h"

void
mkvm_wish_free (MkvmWish *wish)
{
  if (!wish)
    return;
  g_free (wish->name);
  g_free (wish->uuid);
  g_free (wish->profile);
  g_free (wish->flavor);
  g_free (wish);
}

gboolean
mkvm_parse_instance_id (const char *text, const char *what, guint *out, GError **error)
{
  gsize n = text ? strlen (text) : 0;
  gboolean ok = n >= 1 && n <= 3 && text[0] >= '1' && text[0] <= '9';
  for (gsize i = 1; ok && i < n; i++)
    ok = g_ascii_isdigit (text[i]);
  if (!ok)
    {
      g_autofree char *shown = g_strescape (text ? text : "", NULL);
      if (strlen (shown) > 40)
        strcpy (shown + 37, "...");
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "%s '%s' is not an instance id: write a plain decimal number "
                   "from 1 to %d (no sign, leading zeros, spaces or paths)",
                   what, shown, MKVM_INSTANCE_MAX);
      return FALSE;
    }
  *out = (guint) atoi (text);
  return TRUE;
}

gboolean
mkvm_domain_name_valid (const char *name)
{
  if (!name || !*name || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *c = name; *c; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      return FALSE;
  return TRUE;
}

gboolean
mkvm_profile_name_valid (const char *name)
{
  gsize n = name ? strlen (name) : 0;
  if (n < 1 || n > 32)
    return FALSE;
  if (!(g_ascii_islower (name[0]) || g_ascii_isdigit (name[0])))
    return FALSE;
  for (gsize i = 1; i < n; i++)
    if (!(g_ascii_islower (name[i]) || g_ascii_isdigit (name[i])
          || name[i] == '_' || name[i] == '-'))
      return FALSE;
  return TRUE;
}

char *
mkvm_wish_to_metadata (guint instance, const char *profile)
{
  GString *s = g_string_new ("<kvm");
  if (instance)
    g_string_append_printf (s, " instance=\"%u\"", instance);
  if (profile)
    {
      g_autofree char *esc = g_markup_escape_text (profile, -1);
      g_string_append_printf (s, " profile=\"%s\"", esc);
    }
  g_string_append (s, "/>");
  return g_string_free (s, FALSE);
}

static gboolean
parse_kvm_element (MkvmWish *w, xmlNode *kvm, GError **error)
{
  const char *dom = w->name;

  for (xmlAttr *a = kvm->properties; a; a = a->next)
    {
      const char *an = (const char *) a->name;
      xmlChar *v = xmlNodeListGetString (kvm->doc, a->children, 1);
      g_autofree char *val = g_strdup (v ? (char *) v : "");
      xmlFree (v);
      if (a->ns != NULL || (strcmp (an, "instance") != 0 && strcmp (an, "profile") != 0))
        {
          mkvm_set_domain_error (error, MKVM_ERROR_INVALID, dom,
                                 "unknown attribute '%s%s%s' on <" MKVM_METADATA_PREFIX
                                 ":kvm>: only instance=\"N\" and profile=\"NAME\" are "
                                 "allowed",
                                 a->ns && a->ns->prefix ? (const char *) a->ns->prefix : "",
                                 a->ns && a->ns->prefix ? ":" : "", an);
          return FALSE;
        }
      if (strcmp (an, "instance") == 0)
        {
          if (!mkvm_parse_instance_id (val, "instance", &w->instance, error))
            {
              mkvm_prefix_domain_error (error, dom);
              return FALSE;
            }
        }
      else
        {
          if (!mkvm_profile_name_valid (val))
            {
              g_autofree char *shown = g_strescape (val, NULL);
              if (strlen (shown) > 40)
                strcpy (shown + 37, "...");
              mkvm_set_domain_error (error, MKVM_ERROR_INVALID, dom,
                                     "profile '%s' is not a profile name: use 1 to 32 "
                                     "characters a-z 0-9 _ - starting with a letter or digit",
                                     shown);
              return FALSE;
            }
          w->profile = g_strdup (val);
        }
    }
  for (xmlNode *c = kvm->children; c; c = c->next)
    {
      if (c->type == XML_ELEMENT_NODE)
        {
          mkvm_set_domain_error (error, MKVM_ERROR_INVALID, dom,
                                 "unknown element <%s> inside <" MKVM_METADATA_PREFIX
                                 ":kvm>: the element takes no children, only the attributes "
                                 "instance and profile", (const char *) c->name);
          return FALSE;
        }
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
        {
          const char *t = (const char *) c->content;
          while (t && *t && g_ascii_isspace (*t))
            t++;
          if (t && *t)
            {
              mkvm_set_domain_error (error, MKVM_ERROR_INVALID, dom,
                                     "text inside <" MKVM_METADATA_PREFIX ":kvm>: write <"
                                     MKVM_METADATA_PREFIX ":kvm instance=\"N\"/> with "
                                     "attributes only");
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* Our element in @root's <metadata>, checked and read into @w (whose
 * name the errors use). */
static gboolean
wish_scan_metadata (MkvmWish *w, xmlNode *root, GError **error)
{
  xmlNode *found = NULL;

  for (xmlNode *md = root->children; md; md = md->next)
    {
      if (!mkvm_xml_is_elem (md, "metadata"))
        continue;
      for (xmlNode *c = md->children; c; c = c->next)
        {
          const char *href;
          if (c->type != XML_ELEMENT_NODE)
            continue;
          href = c->ns ? (const char *) c->ns->href : NULL;
          if (!href)
            {
              if (strcmp ((const char *) c->name, MKVM_METADATA_ELEMENT) == 0)
                {
                  mkvm_set_domain_error (error, MKVM_ERROR_INVALID, w->name,
                                         "<kvm> in <metadata> has no namespace and "
                                         "libvirt drops it: write <" MKVM_METADATA_PREFIX
                                         ":kvm xmlns:" MKVM_METADATA_PREFIX "=\""
                                         MKVM_METADATA_URI "\" .../> (or use 'multikvm "
                                         "assign')");
                  return FALSE;
                }
              continue;
            }
          if (strcmp (href, MKVM_PLACEMENT_URI) == 0)
            continue;   /* where it ran, not its wish (mkvm-placement.h) */
          if (strcmp (href, MKVM_METADATA_URI) != 0)
            {
              if (g_str_has_prefix (href, "http://multikvm.org/xmlns/"))
                {
                  g_autofree char *shown = g_strescape (href, NULL);
                  mkvm_set_domain_error (error, MKVM_ERROR_INVALID, w->name,
                                         "unsupported multikvm namespace '%s': use '"
                                         MKVM_METADATA_URI "'", shown);
                  return FALSE;
                }
              continue;   /* foreign namespace: not ours */
            }
          if (strcmp ((const char *) c->name, MKVM_METADATA_ELEMENT) != 0)
            {
              mkvm_set_domain_error (error, MKVM_ERROR_INVALID, w->name,
                                     "unknown element <%s> in the multikvm namespace: the "
                                     "only element is <" MKVM_METADATA_PREFIX ":kvm>",
                                     (const char *) c->name);
              return FALSE;
            }
          if (found)
            {
              mkvm_set_domain_error (error, MKVM_ERROR_INVALID, w->name,
                                     "more than one <" MKVM_METADATA_PREFIX ":kvm> element "
                                     "in <metadata>: keep exactly one");
              return FALSE;
            }
          found = c;
        }
    }
  if (found)
    {
      w->has_metadata = TRUE;
      if (!parse_kvm_element (w, found, error))
        return FALSE;
    }
  return TRUE;
}

MkvmWish *
mkvm_wish_from_domain (const MkvmDomain *d, xmlNode *root, GError **error)
{
  g_autoptr(MkvmWish) w = g_new0 (MkvmWish, 1);

  if (!root || !mkvm_xml_is_elem (root, "domain"))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML has root <%s>, expected <domain>",
                   root ? (const char *) root->name : "");
      return NULL;
    }
  if (!d->name || !*d->name)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML has no <name>: pass the full domain XML");
      return NULL;
    }
  if (!mkvm_domain_name_valid (d->name))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML: <name> contains control characters: rename the domain");
      return NULL;
    }
  w->name = g_strdup (d->name);
  if (!d->uuid)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_INVALID, w->name,
                             "missing or malformed <uuid>: pass the full domain XML as "
                             "libvirt gives it");
      return NULL;
    }
  w->uuid = g_strdup (d->uuid);
  w->flavor = g_strdup (d->flavor);

  if (!wish_scan_metadata (w, root, error))
    return NULL;
  return g_steal_pointer (&w);
}

MkvmWish *
mkvm_wish_from_xml (const char *xml, gssize len, GError **error)
{
  g_autoptr(MkvmDomain) d = mkvm_domain_from_xml (xml, len);

  if (!d->wish)
    {
      g_propagate_error (error, g_steal_pointer (&d->wish_error));
      return NULL;
    }
  return g_steal_pointer (&d->wish);
}

/* "instance 2, profile p" for the both-forms error */
static char *
wish_text (const MkvmWish *w)
{
  if (w->instance && w->profile)
    return g_strdup_printf ("instance %u, profile %s", w->instance, w->profile);
  if (w->instance)
    return g_strdup_printf ("instance %u", w->instance);
  return w->profile ? g_strdup_printf ("profile %s", w->profile) : g_strdup ("nothing");
}

char *
mkvm_wish_normalize_xml (const char *xml, gssize len, gboolean *moved, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(MkvmWish) lw = g_new0 (MkvmWish, 1);
  g_autoptr(MkvmWish) sw = g_new0 (MkvmWish, 1);
  g_autofree char *problem = NULL;
  xmlNode *root, *shortf = NULL, *metadata = NULL, *kvm;
  guint nshort = 0;
  xmlBuffer *buf;
  char *out;

  if (moved)
    *moved = FALSE;
  if (len < 0)
    len = strlen (xml);
  if (len > G_MAXINT)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "domain XML is too large");
      return NULL;
    }
  doc = mkvm_xml_read (xml, (int) len, "domain.xml", 0, &problem);
  if (!doc)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "domain XML is malformed (%s)",
                   problem);
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  if (!root || !mkvm_xml_is_elem (root, "domain"))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML has root <%s>, expected <domain>",
                   root ? (const char *) root->name : "");
      return NULL;
    }
  for (xmlNode *c = root->children; c; c = c->next)
    if (mkvm_xml_is_elem (c, "name") && !lw->name)
      lw->name = mkvm_xml_text (c);
    else if (mkvm_xml_is_elem (c, "metadata") && !metadata)
      metadata = c;
    else if (mkvm_xml_is_elem (c, MKVM_METADATA_ELEMENT) && nshort++ == 0)
      shortf = c;
  if (!lw->name)
    lw->name = g_strdup ("?");
  else if (!mkvm_domain_name_valid (lw->name))
    {
      /* the name goes into one-line messages: as mkvm_wish_from_domain() */
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML: <name> contains control characters: rename the domain");
      return NULL;
    }
  if (nshort > 1)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_INVALID, lw->name,
                             "more than one <kvm> under <domain>: keep one");
      return NULL;
    }
  sw->name = g_strdup (lw->name);
  if (!wish_scan_metadata (lw, root, error))
    return NULL;
  if (!shortf)
    return g_strndup (xml, len);   /* the long form (or none): unchanged */
  if (!parse_kvm_element (sw, shortf, error))
    return NULL;
  if (lw->has_metadata)
    {
      if (lw->instance != sw->instance || g_strcmp0 (lw->profile, sw->profile) != 0)
        {
          g_autofree char *a = wish_text (sw), *b = wish_text (lw);
          mkvm_set_domain_error (error, MKVM_ERROR_INVALID, lw->name,
                                 "<kvm> under <domain> asks for %s, <" MKVM_METADATA_PREFIX
                                 ":kvm> in <metadata> for %s: keep one of them", a, b);
          return NULL;
        }
    }
  else
    {
      g_autofree char *inst = sw->instance ? g_strdup_printf ("%u", sw->instance) : NULL;
      if (!metadata)
        metadata = xmlNewChild (root, NULL, (const xmlChar *) "metadata", NULL);
      kvm = xmlNewChild (metadata, NULL, (const xmlChar *) MKVM_METADATA_ELEMENT, NULL);
      xmlSetNs (kvm, xmlNewNs (kvm, (const xmlChar *) MKVM_METADATA_URI,
                               (const xmlChar *) MKVM_METADATA_PREFIX));
      if (inst)
        xmlNewProp (kvm, (const xmlChar *) "instance", (const xmlChar *) inst);
      if (sw->profile)
        xmlNewProp (kvm, (const xmlChar *) "profile", (const xmlChar *) sw->profile);
    }
  xmlUnlinkNode (shortf);
  xmlFreeNode (shortf);
  buf = xmlBufferCreate ();
  xmlNodeDump (buf, doc, root, 0, 0);
  out = g_strconcat ((const char *) xmlBufferContent (buf), "\n", NULL);
  xmlBufferFree (buf);
  if (moved)
    *moved = TRUE;
  return out;
}
