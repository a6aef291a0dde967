/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlerror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "mkvm-wish.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-state.h"
#include "mkvm-private.h"

void
mkvm_wish_free (MkvmWish *wish)
{
  if (!wish)
    return;
  g_free (wish->name);
  g_free (wish->uuid);
  g_free (wish->profile);
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
is_elem (xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns == NULL
         && strcmp ((const char *) n->name, name) == 0;
}

static char *
node_text (xmlNode *n)
{
  xmlChar *c = xmlNodeGetContent (n);
  char *r = g_strdup (c ? g_strstrip ((char *) c) : "");
  xmlFree (c);
  return r;
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
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "domain '%s': unknown attribute '%s%s%s' on <" MKVM_METADATA_PREFIX
                       ":kvm>: only instance=\"N\" and profile=\"NAME\" are allowed",
                       dom, a->ns && a->ns->prefix ? (const char *) a->ns->prefix : "",
                       a->ns && a->ns->prefix ? ":" : "", an);
          return FALSE;
        }
      if (strcmp (an, "instance") == 0)
        {
          g_autofree char *what = g_strdup_printf ("domain '%s': instance", dom);
          if (!mkvm_parse_instance_id (val, what, &w->instance, error))
            return FALSE;
        }
      else
        {
          if (!mkvm_profile_name_valid (val))
            {
              g_autofree char *shown = g_strescape (val, NULL);
              if (strlen (shown) > 40)
                strcpy (shown + 37, "...");
              g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                           "domain '%s': profile '%s' is not a profile name: use 1 to 32 "
                           "characters a-z 0-9 _ - starting with a letter or digit",
                           dom, shown);
              return FALSE;
            }
          w->profile = g_strdup (val);
        }
    }
  for (xmlNode *c = kvm->children; c; c = c->next)
    {
      if (c->type == XML_ELEMENT_NODE)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "domain '%s': unknown element <%s> inside <" MKVM_METADATA_PREFIX
                       ":kvm>: the element takes no children, only the attributes "
                       "instance and profile", dom, (const char *) c->name);
          return FALSE;
        }
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
        {
          const char *t = (const char *) c->content;
          while (t && *t && g_ascii_isspace (*t))
            t++;
          if (t && *t)
            {
              g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                           "domain '%s': text inside <" MKVM_METADATA_PREFIX ":kvm>: "
                           "write <" MKVM_METADATA_PREFIX ":kvm instance=\"N\"/> with "
                           "attributes only", dom);
              return FALSE;
            }
        }
    }
  return TRUE;
}

MkvmWish *
mkvm_wish_from_xml (const char *xml, gssize len, GError **error)
{
  g_autoptr(MkvmWish) w = g_new0 (MkvmWish, 1);
  xmlParserCtxtPtr ctxt;
  xmlDocPtr doc;
  xmlNode *root;
  xmlNode *found = NULL;

  if (!xml)
    xml = "";
  if (len < 0)
    len = strlen (xml);
  if (len > G_MAXINT)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "domain XML is too large");
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  if (!ctxt)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED, "out of memory");
      return NULL;
    }
  {
    MkvmXmlQuiet q;
    mkvm_xml_quiet_begin (&q);
    doc = xmlCtxtReadMemory (ctxt, xml, (int) len, "domain.xml", NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                             | XML_PARSE_NOCDATA);
    mkvm_xml_quiet_end (&q);
  }
  if (!doc)
    {
      const xmlError *e = xmlCtxtGetLastError (ctxt);
      g_autofree char *msg = g_strdup (e && e->message ? e->message : "unknown error");
      g_strstrip (msg);
      g_strdelimit (msg, "\r\n\t", ' ');  /* one line */
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML is malformed (line %d: %s): pass the full domain XML "
                   "as libvirt gives it", e ? e->line : 0, msg);
      xmlFreeParserCtxt (ctxt);
      return NULL;
    }
  xmlFreeParserCtxt (ctxt);

  root = xmlDocGetRootElement (doc);
  if (!root || !is_elem (root, "domain"))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML has root <%s>, expected <domain>",
                   root ? (const char *) root->name : "");
      xmlFreeDoc (doc);
      return NULL;
    }
  for (xmlNode *c = root->children; c; c = c->next)
    {
      if (is_elem (c, "name") && !w->name)
        w->name = node_text (c);
      else if (is_elem (c, "uuid") && !w->uuid)
        w->uuid = node_text (c);
    }
  if (!w->name || !*w->name)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML has no <name>: pass the full domain XML");
      xmlFreeDoc (doc);
      return NULL;
    }
  if (!mkvm_domain_name_valid (w->name))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML: <name> contains control characters: rename the domain");
      xmlFreeDoc (doc);
      return NULL;
    }
  if (!w->uuid || !mkvm_uuid_valid (w->uuid))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain '%s': missing or malformed <uuid>: pass the full domain XML "
                   "as libvirt gives it", w->name);
      xmlFreeDoc (doc);
      return NULL;
    }
  {
    char *lower = g_ascii_strdown (w->uuid, -1);
    g_free (w->uuid);
    w->uuid = lower;
  }

  for (xmlNode *md = root->children; md; md = md->next)
    {
      if (!is_elem (md, "metadata"))
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
                  g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                               "domain '%s': <kvm> in <metadata> has no namespace and "
                               "libvirt drops it: write <" MKVM_METADATA_PREFIX
                               ":kvm xmlns:" MKVM_METADATA_PREFIX "=\"" MKVM_METADATA_URI
                               "\" .../> (or use 'multikvm assign')", w->name);
                  xmlFreeDoc (doc);
                  return NULL;
                }
              continue;
            }
          if (strcmp (href, MKVM_METADATA_URI) != 0)
            {
              if (g_str_has_prefix (href, "http://multikvm.org/xmlns/"))
                {
                  g_autofree char *shown = g_strescape (href, NULL);
                  g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                               "domain '%s': unsupported multikvm namespace '%s': use "
                               "'" MKVM_METADATA_URI "'", w->name, shown);
                  xmlFreeDoc (doc);
                  return NULL;
                }
              continue;   /* foreign namespace: not ours */
            }
          if (strcmp ((const char *) c->name, MKVM_METADATA_ELEMENT) != 0)
            {
              g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                           "domain '%s': unknown element <%s> in the multikvm namespace: "
                           "the only element is <" MKVM_METADATA_PREFIX ":kvm>",
                           w->name, (const char *) c->name);
              xmlFreeDoc (doc);
              return NULL;
            }
          if (found)
            {
              g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                           "domain '%s': more than one <" MKVM_METADATA_PREFIX
                           ":kvm> element in <metadata>: keep exactly one", w->name);
              xmlFreeDoc (doc);
              return NULL;
            }
          found = c;
        }
    }
  if (found)
    {
      w->has_metadata = TRUE;
      if (!parse_kvm_element (w, found, error))
        {
          xmlFreeDoc (doc);
          return NULL;
        }
    }
  xmlFreeDoc (doc);
  return g_steal_pointer (&w);
}

static void
xml_silent (void *ctx, const char *msg, ...)
{
}

void
mkvm_xml_quiet_begin (MkvmXmlQuiet *saved)
{
  saved->ctx = xmlGenericErrorContext;
  saved->func = (void (*) (void *, const char *, ...)) xmlGenericError;
  xmlSetGenericErrorFunc (NULL, xml_silent);
}

void
mkvm_xml_quiet_end (MkvmXmlQuiet *saved)
{
  xmlSetGenericErrorFunc (saved->ctx, (xmlGenericErrorFunc) saved->func);
}
