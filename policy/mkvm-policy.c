/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>
#include "mkvm-policy.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-wish.h"
#include "mkvm-xml.h"
#include "policy-rng.h"

const char *
mkvm_policy_schema (void)
{
  return mkvm_policy_rng;
}

static void
profile_free (gpointer p)
{
  MkvmProfile *prof = p;
  g_free (prof->name);
  g_free (prof->description);
  g_hash_table_unref (prof->params);
  g_free (prof);
}

static void
static_free (gpointer p)
{
  MkvmStaticInstance *s = p;
  g_free (s->device);
  g_free (s->module);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmStaticInstance, static_free)

static void
assignment_free (gpointer p)
{
  MkvmAssignment *a = p;
  g_free (a->uuid);
  g_free (a->name);
  g_free (a->profile);
  g_free (a);
}

static void
flavor_free (gpointer p)
{
  MkvmFlavor *f = p;
  g_free (f->name);
  g_free (f->profile);
  g_free (f);
}

static MkvmPolicy *
policy_new (const char *source)
{
  MkvmPolicy *p = g_new0 (MkvmPolicy, 1);
  p->profiles = g_ptr_array_new_with_free_func (profile_free);
  p->statics = g_ptr_array_new_with_free_func (static_free);
  p->assignments = g_ptr_array_new_with_free_func (assignment_free);
  p->flavors = g_ptr_array_new_with_free_func (flavor_free);
  p->pins_allowed = TRUE;
  p->order = g_array_new (FALSE, FALSE, sizeof (MkvmOrderKey));
  p->pin_draining = MKVM_PIN_DRAINING_REFUSE;
  p->source = g_strdup (source);
  return p;
}

static void
policy_default_order (MkvmPolicy *p)
{
  MkvmOrderKey k[] = { MKVM_ORDER_NEWEST_BUILD, MKVM_ORDER_LEAST_LOADED };
  g_array_set_size (p->order, 0);
  g_array_append_vals (p->order, k, G_N_ELEMENTS (k));
}

void
mkvm_policy_free (MkvmPolicy *p)
{
  if (!p)
    return;
  g_ptr_array_unref (p->profiles);
  g_ptr_array_unref (p->statics);
  g_ptr_array_unref (p->assignments);
  g_ptr_array_unref (p->flavors);
  g_array_unref (p->order);
  g_free (p->default_profile);
  g_free (p->source);
  g_free (p);
}

MkvmPolicy *
mkvm_policy_new_builtin (void)
{
  MkvmPolicy *p = policy_new ("(built-in)");
  MkvmProfile *prof = g_new0 (MkvmProfile, 1);
  prof->name = g_strdup ("default");
  prof->description = g_strdup ("any instance (built-in policy: no policy file)");
  prof->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_ptr_array_add (p->profiles, prof);
  p->default_profile = g_strdup ("default");
  policy_default_order (p);
  return p;
}

MkvmProfile *
mkvm_policy_find_profile (const MkvmPolicy *policy, const char *name)
{
  if (!name)
    return NULL;
  for (guint i = 0; i < policy->profiles->len; i++)
    {
      MkvmProfile *p = g_ptr_array_index (policy->profiles, i);
      if (strcmp (p->name, name) == 0)
        return p;
    }
  return NULL;
}

const MkvmAssignment *
mkvm_policy_find_assignment (const MkvmPolicy *policy, const char *uuid, const char *name)
{
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < policy->assignments->len; i++)
      {
        const MkvmAssignment *a = g_ptr_array_index (policy->assignments, i);
        if (pass == 0 ? (a->uuid && uuid && g_ascii_strcasecmp (a->uuid, uuid) == 0)
                      : (a->name && name && strcmp (a->name, name) == 0))
          return a;
      }
  return NULL;
}

const char *
mkvm_policy_flavor_profile (const MkvmPolicy *policy, const char *flavor)
{
  for (guint i = 0; flavor && i < policy->flavors->len; i++)
    {
      const MkvmFlavor *f = g_ptr_array_index (policy->flavors, i);
      if (strcmp (f->name, flavor) == 0)
        return f->profile;
    }
  return NULL;
}

typedef struct {
  GString *msg;
} RngErrors;

static void
rng_error (void *data, xmlErrorPtr e)
{
  RngErrors *r = data;
  g_autofree char *m = NULL;
  if (!e || r->msg->len)  /* keep the first error only */
    return;
  m = g_strdup (e->message ? e->message : "invalid");
  g_strstrip (m);
  g_strdelimit (m, "\r\n\t", ' ');
  g_string_append_printf (r->msg, "line %d: %s", e->line, m);
}

static char *
attr (xmlNode *n, const char *name)
{
  xmlChar *v = xmlGetNoNsProp (n, (const xmlChar *) name);
  char *r = v ? g_strdup ((char *) v) : NULL;
  xmlFree (v);
  return r;
}

static gboolean
is_elem (xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && strcmp ((const char *) n->name, name) == 0;
}

/* <assignments><domain uuid=U | name=N [instance=I] [profile=P]/>...: the
 * schema has checked the forms; one assignment per domain, each assigning
 * something, names without control characters. */
static gboolean
parse_assignments (xmlNode *list, MkvmPolicy *p, GError **error)
{
  for (xmlNode *d = list->children; d; d = d->next)
    {
      MkvmAssignment *a;
      g_autofree char *inst = NULL;
      const char *who;

      if (!is_elem (d, "domain"))
        continue;
      a = g_new0 (MkvmAssignment, 1);
      g_ptr_array_add (p->assignments, a);
      a->uuid = attr (d, "uuid");
      a->name = attr (d, "name");
      a->profile = attr (d, "profile");
      inst = attr (d, "instance");
      if (a->uuid)
        {
          char *lower = g_ascii_strdown (a->uuid, -1);
          g_free (a->uuid);
          a->uuid = lower;
        }
      who = a->uuid ? a->uuid : a->name;
      if (a->name && !mkvm_domain_name_valid (a->name))
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s: an assignment names a domain with control characters: "
                       "use its uuid", p->source);
          return FALSE;
        }
      if (inst)
        {
          g_autofree char *what = g_strdup_printf ("policy %s: the assignment of domain %s: "
                                                   "instance", p->source, who);
          if (!mkvm_parse_instance_id (inst, what, &a->instance, error))
            return FALSE;
        }
      if (!a->instance && !a->profile)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s: the assignment of domain %s assigns nothing: give it "
                       "instance=\"N\" or profile=\"NAME\"", p->source, who);
          return FALSE;
        }
      for (guint i = 0; i + 1 < p->assignments->len; i++)
        {
          const MkvmAssignment *o = g_ptr_array_index (p->assignments, i);
          if ((a->uuid && g_strcmp0 (o->uuid, a->uuid) == 0) ||
              (a->name && g_strcmp0 (o->name, a->name) == 0))
            {
              g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                           "policy %s: domain %s is assigned twice: keep one", p->source, who);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* <flavors><flavor name=N profile=P/>...: each flavor once, no control
 * characters; the profiles are checked once all are parsed. */
static gboolean
parse_flavors (xmlNode *list, MkvmPolicy *p, GError **error)
{
  for (xmlNode *n = list->children; n; n = n->next)
    {
      MkvmFlavor *f;

      if (!is_elem (n, "flavor"))
        continue;
      f = g_new0 (MkvmFlavor, 1);
      f->name = attr (n, "name");
      f->profile = attr (n, "profile");
      if (!mkvm_domain_name_valid (f->name))
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s: a <flavor> name contains control characters: write the "
                       "flavor's name as Nova shows it", p->source);
          flavor_free (f);
          return FALSE;
        }
      if (mkvm_policy_flavor_profile (p, f->name))
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s: flavor '%s' is mapped twice: keep one <flavor>",
                       p->source, f->name);
          flavor_free (f);
          return FALSE;
        }
      g_ptr_array_add (p->flavors, f);
    }
  return TRUE;
}

static gboolean
validate (xmlDocPtr doc, const char *source, GError **error)
{
  static xmlRelaxNGPtr schema;   /* parsed once per process */
  static GMutex lock;
  RngErrors errs = { g_string_new (NULL) };
  gboolean ok;

  g_mutex_lock (&lock);
  if (!schema)
    {
      xmlRelaxNGParserCtxtPtr pc =
        xmlRelaxNGNewMemParserCtxt (mkvm_policy_rng, sizeof mkvm_policy_rng - 1);
      schema = xmlRelaxNGParse (pc);
      xmlRelaxNGFreeParserCtxt (pc);
      if (!schema)
        {
          g_mutex_unlock (&lock);
          g_string_free (errs.msg, TRUE);
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED,
                       "internal error: the embedded policy schema does not parse");
          return FALSE;
        }
    }
  xmlRelaxNGValidCtxtPtr vc = xmlRelaxNGNewValidCtxt (schema);
  xmlRelaxNGSetValidStructuredErrors (vc, rng_error, &errs);
  {
    MkvmXmlQuiet q;
    mkvm_xml_quiet_begin (&q);
    ok = xmlRelaxNGValidateDoc (vc, doc) == 0;
    mkvm_xml_quiet_end (&q);
  }
  xmlRelaxNGFreeValidCtxt (vc);
  g_mutex_unlock (&lock);
  if (!ok)
    g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                 "policy %s does not match the schema (%s): see docs/policy.md and "
                 "check with xmllint --relaxng policy.rng", source,
                 errs.msg->len ? errs.msg->str : "invalid");
  g_string_free (errs.msg, TRUE);
  return ok;
}

MkvmPolicy *
mkvm_policy_parse (const char *xml, gssize len, const char *source, GError **error)
{
  g_autoptr(MkvmPolicy) p = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *problem = NULL;
  xmlNode *root;
  gboolean have_order = FALSE;

  if (!source)
    source = "(memory)";
  if (len < 0)
    len = strlen (xml);
  if (len > G_MAXINT)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID, "policy %s is too large", source);
      return NULL;
    }
  doc = mkvm_xml_read (xml, (int) len, source, XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS,
                       &problem);
  if (!doc)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "policy %s is not well-formed XML (%s)", source, problem);
      return NULL;
    }
  if (!validate (doc, source, error))
    return NULL;

  p = policy_new (source);
  root = xmlDocGetRootElement (doc);
  for (xmlNode *c = root->children; c; c = c->next)
    {
      if (is_elem (c, "profiles"))
        {
          p->default_profile = attr (c, "default");
          for (xmlNode *pn = c->children; pn; pn = pn->next)
            {
              if (!is_elem (pn, "profile"))
                continue;
              MkvmProfile *prof = g_new0 (MkvmProfile, 1);
              g_autofree char *restricted = attr (pn, "restricted");
              prof->name = attr (pn, "name");
              prof->restricted = g_strcmp0 (restricted, "yes") == 0;
              prof->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
              if (mkvm_policy_find_profile (p, prof->name))
                {
                  g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                               "policy %s: profile '%s' is defined twice: keep one",
                               source, prof->name);
                  profile_free (prof);
                  return NULL;
                }
              g_ptr_array_add (p->profiles, prof);
              for (xmlNode *r = pn->children; r; r = r->next)
                {
                  if (is_elem (r, "description"))
                    {
                      xmlChar *t = xmlNodeGetContent (r);
                      g_auto(GStrv) words = g_strsplit_set ((char *) t, " \t\r\n", -1);
                      xmlFree (t);
                      GString *d = g_string_new (NULL);
                      for (char **w = words; *w; w++)
                        if (**w)
                          g_string_append_printf (d, "%s%s", d->len ? " " : "", *w);
                      prof->description = g_string_free (d, FALSE);
                    }
                  else if (is_elem (r, "require"))
                    {
                      char *k = attr (r, "param");
                      if (g_hash_table_contains (prof->params, k))
                        {
                          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                                       "policy %s: profile '%s' requires parameter '%s' "
                                       "twice: keep one <require>", source, prof->name, k);
                          g_free (k);
                          return NULL;
                        }
                      g_hash_table_insert (prof->params, k, attr (r, "value"));
                    }
                }
            }
        }
      else if (is_elem (c, "order"))
        {
          xmlChar *t = xmlNodeGetContent (c);
          g_auto(GStrv) words = g_strsplit_set ((char *) t, " \t\r\n", -1);
          xmlFree (t);
          have_order = TRUE;
          for (char **w = words; *w; w++)
            {
              MkvmOrderKey k;
              if (!**w)
                continue;
              if (strcmp (*w, "newest-build") == 0)
                k = MKVM_ORDER_NEWEST_BUILD;
              else if (strcmp (*w, "least-loaded") == 0)
                k = MKVM_ORDER_LEAST_LOADED;
              else
                k = MKVM_ORDER_LOWEST_ID;
              for (guint i = 0; i < p->order->len; i++)
                if (g_array_index (p->order, MkvmOrderKey, i) == k)
                  {
                    g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                                 "policy %s: <order> lists '%s' twice: keep one",
                                 source, *w);
                    return NULL;
                  }
              g_array_append_val (p->order, k);
            }
        }
      else if (is_elem (c, "draining"))
        {
          g_autofree char *pin = attr (c, "pin");
          p->pin_draining = g_strcmp0 (pin, "allow") == 0 ? MKVM_PIN_DRAINING_ALLOW
                                                          : MKVM_PIN_DRAINING_REFUSE;
        }
      else if (is_elem (c, "migration"))
        {
          g_autofree char *pin = attr (c, "pin");
          p->migration_pin = g_strcmp0 (pin, "id") == 0 ? MKVM_MIGRATION_PIN_ID
                                                       : MKVM_MIGRATION_PIN_BUILD;
        }
      else if (is_elem (c, "pins"))
        {
          g_autofree char *allow = attr (c, "allow");
          p->pins_allowed = g_strcmp0 (allow, "no") != 0;
        }
      else if (is_elem (c, "assignments") && !parse_assignments (c, p, error))
        return NULL;
      else if (is_elem (c, "flavors") && !parse_flavors (c, p, error))
        return NULL;
      else if (is_elem (c, "instances"))
        {
          for (xmlNode *in = c->children; in; in = in->next)
            {
              if (!is_elem (in, "instance"))
                continue;
              g_autofree char *id = attr (in, "id");
              g_autoptr(MkvmStaticInstance) s = g_new0 (MkvmStaticInstance, 1);
              g_autofree char *what = g_strdup_printf ("policy %s: static instance", source);
              if (!mkvm_parse_instance_id (id, what, &s->id, error))
                return NULL;
              s->device = attr (in, "device");
              s->module = attr (in, "module");
              for (guint i = 0; i < p->statics->len; i++)
                if (((MkvmStaticInstance *) g_ptr_array_index (p->statics, i))->id == s->id)
                  {
                    g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                                 "policy %s: static instance %u is declared twice: keep one",
                                 source, s->id);
                    return NULL;
                  }
              if (strstr (s->device, "/../") || g_str_has_suffix (s->device, "/.."))
                {
                  g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                               "policy %s: static instance %u: device '%s' contains '..': "
                               "give the absolute node path", source, s->id, s->device);
                  return NULL;
                }
              g_ptr_array_add (p->statics, g_steal_pointer (&s));
            }
        }
    }

  if (!have_order)
    policy_default_order (p);
  if (!mkvm_policy_find_profile (p, p->default_profile))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "policy %s: default profile '%s' is not defined: add <profile name=\"%s\"> "
                   "or change <profiles default=...>", source, p->default_profile,
                   p->default_profile);
      return NULL;
    }
  for (guint i = 0; i < p->assignments->len; i++)
    {
      MkvmAssignment *a = g_ptr_array_index (p->assignments, i);
      if (a->profile && !mkvm_policy_find_profile (p, a->profile))
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s: the assignment of domain %s%s%s names profile '%s', which "
                       "is not defined: add it or fix the assignment", source,
                       a->uuid ? a->uuid : "'", a->uuid ? "" : a->name, a->uuid ? "" : "'",
                       a->profile);
          return NULL;
        }
    }
  for (guint i = 0; i < p->flavors->len; i++)
    {
      const MkvmFlavor *f = g_ptr_array_index (p->flavors, i);
      const MkvmProfile *prof = mkvm_policy_find_profile (p, f->profile);
      if (!prof || prof->restricted)
        {
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                       "policy %s: flavor '%s' is mapped to profile '%s', which is %s: "
                       "map it to an unrestricted profile%s", source, f->name, f->profile,
                       prof ? "restricted (only an assignment gives it)" : "not defined",
                       prof ? ", or assign the domains in <assignments>" : " or add the profile");
          return NULL;
        }
    }
  return g_steal_pointer (&p);
}

MkvmPolicy *
mkvm_policy_load (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  gboolean explicit_path = path != NULL;

  if (!path)
    path = mkvm_path_policy ();
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          if (!explicit_path && mkvm_test_getenv ("MULTIKVM_POLICY") == NULL)
            return mkvm_policy_new_builtin ();
          g_set_error (error, MKVM_ERROR, MKVM_ERROR_NOT_FOUND,
                       "policy %s does not exist: create it (see data/policy.xml) or "
                       "unset MULTIKVM_POLICY", path);
          return NULL;
        }
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot read policy %s: %s",
                   path, local->message);
      return NULL;
    }
  return mkvm_policy_parse (text, len, path, error);
}
