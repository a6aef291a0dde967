/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-domain.h"
#include "mkvm-error.h"
#include "mkvm-state.h"
#include "mkvm-private.h"
#include "mkvm-xml.h"

void
mkvm_domain_free (MkvmDomain *d)
{
  if (!d)
    return;
  g_free (d->name);
  g_free (d->uuid);
  g_free (d->type);
  g_free (d->emulator);
  g_free (d->flavor);
  mkvm_wish_free (d->wish);
  g_clear_error (&d->wish_error);
  mkvm_placement_free (d->placement);
  g_clear_error (&d->placement_error);
  g_free (d);
}

gboolean
mkvm_domain_is_kvm (const MkvmDomain *d)
{
  return d->type == NULL || strcmp (d->type, "kvm") == 0;
}

static gboolean
is_nova (xmlNode *n, const char *name)
{
  const char *href = n->ns ? (const char *) n->ns->href : NULL;

  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0 && href &&
         (strcmp (href, MKVM_NOVA_URI_1_1) == 0 || strcmp (href, MKVM_NOVA_URI_1_0) == 0);
}

/* <metadata><nova:instance><nova:flavor name="m1.small" ...>: the first one. */
static char *
nova_flavor (xmlNode *metadata)
{
  for (xmlNode *i = metadata->children; i; i = i->next)
    {
      if (!is_nova (i, "instance"))
        continue;
      for (xmlNode *f = i->children; f; f = f->next)
        if (is_nova (f, "flavor"))
          {
            xmlChar *v = xmlGetNoNsProp (f, (const xmlChar *) "name");
            char *name = v && mkvm_domain_name_valid ((const char *) v)
                         ? g_strdup ((const char *) v) : NULL;
            xmlFree (v);
            return name;
          }
      return NULL;
    }
  return NULL;
}

/* The lenient facts: from whatever root the document has. */
static void
read_facts (MkvmDomain *d, xmlNode *root)
{
  xmlChar *type = xmlGetProp (root, (const xmlChar *) "type");
  gboolean uuid_seen = FALSE;

  d->type = type ? g_strdup ((const char *) type) : NULL;
  xmlFree (type);
  for (xmlNode *c = root->children; c; c = c->next)
    {
      if (mkvm_xml_is_elem (c, "name") && !d->name)
        d->name = mkvm_xml_text (c);
      else if (mkvm_xml_is_elem (c, "uuid") && !uuid_seen)
        {
          g_autofree char *u = mkvm_xml_text (c);

          uuid_seen = TRUE;     /* the first <uuid> counts, valid or not */
          if (mkvm_uuid_valid (u))
            d->uuid = g_ascii_strdown (u, -1);
        }
      else if (mkvm_xml_is_elem (c, "metadata") && !d->flavor)
        d->flavor = nova_flavor (c);
      else if (mkvm_xml_is_elem (c, "devices"))
        for (xmlNode *e = c->children; e && !d->emulator; e = e->next)
          if (mkvm_xml_is_elem (e, "emulator"))
            d->emulator = mkvm_xml_text (e);
    }
}

/* The placement element, if any: one at most. */
static void
read_placement (MkvmDomain *d, xmlNode *root)
{
  xmlNode *found = NULL;

  for (xmlNode *md = root->children; md; md = md->next)
    {
      if (!mkvm_xml_is_elem (md, "metadata"))
        continue;
      for (xmlNode *c = md->children; c; c = c->next)
        {
          if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href ||
              strcmp ((const char *) c->ns->href, MKVM_PLACEMENT_URI) != 0)
            continue;
          if (found || strcmp ((const char *) c->name, MKVM_PLACEMENT_ELEMENT) != 0)
            {
              mkvm_set_domain_error (&d->placement_error, MKVM_ERROR_INVALID, d->name,
                                     "its metadata has more than one element in multikvm's "
                                     "placement namespace: remove them ('virsh metadata "
                                     "--live --remove --uri " MKVM_PLACEMENT_URI "')");
              return;
            }
          found = c;
        }
    }
  if (found)
    d->placement = mkvm_placement_from_node (found, d->name, &d->placement_error);
}

MkvmDomain *
mkvm_domain_from_xml (const char *xml, gssize len)
{
  MkvmDomain *d = g_new0 (MkvmDomain, 1);
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *problem = NULL;
  xmlNode *root;

  if (!xml)
    xml = "";
  if (len < 0)
    len = strlen (xml);
  if (len > G_MAXINT)
    {
      g_set_error (&d->wish_error, MKVM_ERROR, MKVM_ERROR_INVALID, "domain XML is too large");
      return d;
    }
  doc = mkvm_xml_read (xml, (int) len, "domain.xml", XML_PARSE_NOCDATA, &problem);
  if (!doc)
    {
      g_set_error (&d->wish_error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "domain XML is malformed (%s): pass the full domain XML as libvirt "
                   "gives it", problem);
      return d;
    }
  root = xmlDocGetRootElement (doc);
  if (root)
    {
      read_facts (d, root);
      read_placement (d, root);
    }
  d->wish = mkvm_wish_from_domain (d, root, &d->wish_error);
  return d;
}
