/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-placement.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-private.h"
#include "mkvm-xml.h"

#define VALUE_MAX 1024

void
mkvm_placement_free (MkvmPlacement *p)
{
  if (!p)
    return;
  g_free (p->build);
  g_free (p->kvm_version);
  g_free (p->profile);
  g_free (p->host);
  g_free (p);
}

MkvmPlacement *
mkvm_placement_new (const MkvmRecord *rec, const MkvmInventory *inv)
{
  MkvmPlacement *p = g_new0 (MkvmPlacement, 1);
  const MkvmInstance *inst = inv ? mkvm_inventory_find (inv, rec->instance) : NULL;

  p->instance = rec->instance;
  if (inst)
    {
      p->build = g_strdup (inst->build_id);
      p->kvm_version = g_strdup (inst->build.kvm_version);
    }
  p->profile = g_strdup (rec->profile);
  p->host = g_strdup (g_get_host_name ());
  return p;
}

gboolean
mkvm_placement_equal (const MkvmPlacement *a, const MkvmPlacement *b)
{
  return a->instance == b->instance && g_strcmp0 (a->build, b->build) == 0 &&
         g_strcmp0 (a->kvm_version, b->kvm_version) == 0 &&
         g_strcmp0 (a->profile, b->profile) == 0 && g_strcmp0 (a->host, b->host) == 0;
}

/* The attributes, in this order; NULL values are left out. */
static void
set_attrs (xmlNode *el, const MkvmPlacement *p)
{
  g_autofree char *id = g_strdup_printf ("%u", p->instance);
  const char *const names[] = { "instance", "build", "kvm", "profile", "host" };
  const char *const values[] = { id, p->build, p->kvm_version, p->profile, p->host };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (values[i])
      xmlSetProp (el, (const xmlChar *) names[i], (const xmlChar *) values[i]);
}

char *
mkvm_placement_to_metadata (const MkvmPlacement *p)
{
  g_autoptr(xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *el = xmlNewNode (NULL, (const xmlChar *) MKVM_PLACEMENT_ELEMENT);
  xmlBuffer *buf = xmlBufferCreate ();
  char *out;

  xmlDocSetRootElement (doc, el);
  set_attrs (el, p);
  xmlNodeDump (buf, doc, el, 0, 0);
  out = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  return out;
}

static gboolean
value_ok (const char *v)
{
  if (strlen (v) > VALUE_MAX || !g_utf8_validate (v, -1, NULL))
    return FALSE;
  for (const char *c = v; *c; c++)
    if ((guchar) *c < 0x20 || *c == 0x7f)
      return FALSE;
  return TRUE;
}

MkvmPlacement *
mkvm_placement_from_node (xmlNode *el, const char *domain, GError **error)
{
  g_autoptr(MkvmPlacement) p = g_new0 (MkvmPlacement, 1);
  gboolean have_instance = FALSE;

  for (xmlAttr *a = el->properties; a; a = a->next)
    {
      const char *an = (const char *) a->name;
      xmlChar *v = xmlNodeListGetString (el->doc, a->children, 1);
      g_autofree char *val = g_strdup (v ? (char *) v : "");
      char **slot = NULL;

      xmlFree (v);
      if (a->ns == NULL && strcmp (an, "instance") == 0)
        {
          if (!mkvm_parse_instance_id (val, "placement instance", &p->instance, error))
            {
              mkvm_prefix_domain_error (error, domain);
              return NULL;
            }
          have_instance = TRUE;
          continue;
        }
      if (a->ns == NULL && strcmp (an, "build") == 0)
        slot = &p->build;
      else if (a->ns == NULL && strcmp (an, "kvm") == 0)
        slot = &p->kvm_version;
      else if (a->ns == NULL && strcmp (an, "profile") == 0)
        slot = &p->profile;
      else if (a->ns == NULL && strcmp (an, "host") == 0)
        slot = &p->host;
      if (!slot)
        {
          mkvm_set_domain_error (error, MKVM_ERROR_INVALID, domain,
                                 "unknown attribute '%s' on the multikvm <placement> in its "
                                 "metadata: it is written by 'multikvm annotate'; remove the "
                                 "element ('virsh metadata --live --remove --uri "
                                 MKVM_PLACEMENT_URI "')", an);
          return NULL;
        }
      if (!value_ok (val) || (slot == &p->profile && !mkvm_profile_name_valid (val)))
        {
          mkvm_set_domain_error (error, MKVM_ERROR_INVALID, domain,
                                 "the multikvm <placement> in its metadata has a bad %s "
                                 "(control characters, over %d bytes, or not a profile "
                                 "name): remove the element or run 'multikvm annotate' "
                                 "where it runs", an, VALUE_MAX);
          return NULL;
        }
      g_free (*slot);
      *slot = g_strdup (val);
    }
  if (!have_instance)
    {
      mkvm_set_domain_error (error, MKVM_ERROR_INVALID, domain,
                             "the multikvm <placement> in its metadata has no instance: "
                             "remove the element or run 'multikvm annotate' where it runs");
      return NULL;
    }
  return g_steal_pointer (&p);
}

MkvmPlacement *
mkvm_placement_from_metadata (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *problem = NULL;
  xmlNode *root;
  gsize len = xml ? strlen (xml) : 0;

  if (len > G_MAXINT ||
      !(doc = mkvm_xml_read (xml ? xml : "", (int) len, "placement.xml", 0, &problem)))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "multikvm placement metadata is malformed (%s)",
                   problem ? problem : "too large");
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  if (!root || strcmp ((const char *) root->name, MKVM_PLACEMENT_ELEMENT) != 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "multikvm placement metadata is <%s>, expected <" MKVM_PLACEMENT_ELEMENT
                   ">", root ? (const char *) root->name : "");
      return NULL;
    }
  return mkvm_placement_from_node (root, NULL, error);
}

static gboolean
in_ns (const xmlNode *n, const char *uri)
{
  return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         strcmp ((const char *) n->ns->href, uri) == 0;
}

char *
mkvm_placement_rewrite (const char *xml, gssize len, const MkvmPlacement *here,
                        gboolean repin, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *problem = NULL;
  xmlNode *root, *md = NULL, *el, *next;
  xmlNs *ns;
  xmlChar *out = NULL;
  int out_len = 0;
  char *ret;

  if (len < 0)
    len = strlen (xml);
  if (len > G_MAXINT ||
      !(doc = mkvm_xml_read (xml, (int) len, "domain.xml", 0, &problem)))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "domain XML is malformed (%s)",
                   problem ? problem : "too large");
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
  for (xmlNode *c = root->children; c && !md; c = c->next)
    if (mkvm_xml_is_elem (c, "metadata"))
      md = c;
  if (!md)
    md = xmlNewChild (root, NULL, (const xmlChar *) "metadata", NULL);
  for (xmlNode *c = md->children; c; c = next)
    {
      next = c->next;
      if (in_ns (c, MKVM_PLACEMENT_URI))
        {
          xmlUnlinkNode (c);
          xmlFreeNode (c);
        }
      else if (repin && in_ns (c, MKVM_METADATA_URI) &&
               strcmp ((const char *) c->name, MKVM_METADATA_ELEMENT) == 0)
        {
          g_autofree char *id = g_strdup_printf ("%u", here->instance);
          xmlSetProp (c, (const xmlChar *) "instance", (const xmlChar *) id);
        }
    }
  el = xmlNewChild (md, NULL, (const xmlChar *) MKVM_PLACEMENT_ELEMENT, NULL);
  ns = xmlNewNs (el, (const xmlChar *) MKVM_PLACEMENT_URI,
                 (const xmlChar *) MKVM_PLACEMENT_PREFIX);
  xmlSetNs (el, ns);
  set_attrs (el, here);
  xmlDocDumpMemory (doc, &out, &out_len);
  ret = g_strndup ((const char *) out, out_len);
  xmlFree (out);
  return ret;
}
