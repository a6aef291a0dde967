/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mkvm-evacuate.h"
#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-private.h"
#include "mkvm-xml.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

/* <metadata>'s <mkvm:kvm> element in our namespace, or NULL. */
static xmlNode *
our_element (xmlNode *metadata)
{
  for (xmlNode *c = metadata->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
        strcmp ((const char *) c->ns->href, MKVM_METADATA_URI) == 0 &&
        strcmp ((const char *) c->name, MKVM_METADATA_ELEMENT) == 0)
      return c;
  return NULL;
}

char *
mkvm_domain_xml_set_instance (const char *xml, gssize len, guint instance, GError **error)
{
  g_autoptr(MkvmDomain) d = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(xmlBuffer) buf = NULL;
  g_autofree char *problem = NULL, *value = NULL;
  xmlNode *root, *metadata = NULL, *kvm;

  if (instance < 1 || instance > MKVM_INSTANCE_MAX)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_INVALID,
                   "instance %u is not an instance id (1 to %d)", instance,
                   MKVM_INSTANCE_MAX);
      return NULL;
    }
  if (len < 0)
    len = xml ? strlen (xml) : 0;
  d = mkvm_domain_from_xml (xml, len);
  if (!d->wish)
    {
      g_propagate_error (error, g_steal_pointer (&d->wish_error));
      return NULL;
    }
  /* the same parse as mkvm_domain_from_xml()'s, which accepted it */
  doc = mkvm_xml_read (xml, (int) len, "domain.xml", XML_PARSE_NOCDATA, &problem);
  g_return_val_if_fail (doc != NULL, NULL);
  root = xmlDocGetRootElement (doc);
  for (xmlNode *c = root->children; c && !metadata; c = c->next)
    if (mkvm_xml_is_elem (c, "metadata") && our_element (c))
      metadata = c;
  for (xmlNode *c = root->children; c && !metadata; c = c->next)
    if (mkvm_xml_is_elem (c, "metadata"))
      metadata = c;
  if (!metadata)
    metadata = xmlNewChild (root, NULL, (const xmlChar *) "metadata", NULL);
  kvm = our_element (metadata);
  if (!kvm)
    {
      kvm = xmlNewChild (metadata, NULL, (const xmlChar *) MKVM_METADATA_ELEMENT, NULL);
      xmlSetNs (kvm, xmlNewNs (kvm, (const xmlChar *) MKVM_METADATA_URI,
                               (const xmlChar *) MKVM_METADATA_PREFIX));
    }
  value = g_strdup_printf ("%u", instance);
  xmlSetProp (kvm, (const xmlChar *) "instance", (const xmlChar *) value);
  buf = xmlBufferCreate ();
  if (xmlNodeDump (buf, doc, root, 0, 0) < 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_FAILED, "domain '%s': cannot write its XML",
                   d->name);
      return NULL;
    }
  return g_strdup ((const char *) xmlBufferContent (buf));
}

char *
mkvm_domain_unsaveable (const char *xml, gssize len)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *problem = NULL;
  xmlNode *root;

  if (!xml)
    return NULL;
  if (len < 0)
    len = strlen (xml);
  if (len > G_MAXINT ||
      !(doc = mkvm_xml_read (xml, (int) len, "domain.xml", XML_PARSE_NOCDATA, &problem)) ||
      !(root = xmlDocGetRootElement (doc)))
    return NULL;
  for (xmlNode *devs = root->children; devs; devs = devs->next)
    {
      if (!mkvm_xml_is_elem (devs, "devices"))
        continue;
      for (xmlNode *c = devs->children; c; c = c->next)
        {
          g_autofree char *type = NULL, *mode = NULL;
          xmlChar *v;

          if (!mkvm_xml_is_elem (c, "hostdev") && !mkvm_xml_is_elem (c, "interface"))
            continue;
          v = xmlGetProp (c, (const xmlChar *) "type");
          type = g_strdup (v ? (const char *) v : "");
          xmlFree (v);
          if (mkvm_xml_is_elem (c, "interface"))
            {
              if (strcmp (type, "hostdev") == 0)
                return g_strdup ("it has <interface type='hostdev'> (a host device)");
              continue;
            }
          v = xmlGetProp (c, (const xmlChar *) "mode");
          mode = g_strdup (v ? (const char *) v : "subsystem");
          xmlFree (v);
          /* libvirt saves a domain with a USB host device (it reattaches it) */
          if (strcmp (mode, "subsystem") == 0 && strcmp (type, "usb") == 0)
            continue;
          return g_strdup_printf ("it has <hostdev mode='%s'%s%s%s> (a host device)", mode,
                                  *type ? " type='" : "", type, *type ? "'" : "");
        }
    }
  return NULL;
}

double
mkvm_pause_ms_per_gib (const MkvmPauseModel *m)
{
  return m->gib > 0 ? m->pause_ms / m->gib : MKVM_PAUSE_PRIOR_MS_PER_GIB;
}

double
mkvm_pause_estimate_ms (const MkvmPauseModel *m, guint64 ram_kib)
{
  return mkvm_pause_ms_per_gib (m) * (double) ram_kib / (1024.0 * 1024.0);
}

void
mkvm_pause_model_add (MkvmPauseModel *m, guint64 ram_kib, double pause_ms)
{
  if (ram_kib == 0 || pause_ms < 0)
    return;
  m->gib += (double) ram_kib / (1024.0 * 1024.0);
  m->pause_ms += pause_ms;
}

MkvmEvacuateLock *
mkvm_evacuate_lock (const char *rundir, GError **error)
{
  g_autoptr(GError) local = NULL;
  MkvmLock *l = mkvm_lock_acquire_named (rundir, "evacuate.lock", FALSE, &local);

  if (!l && g_error_matches (local, MKVM_ERROR, MKVM_ERROR_BUSY))
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_BUSY,
                   "another 'multikvm evacuate' is running on this host (%s): wait for it "
                   "to finish", local->message);
      return NULL;
    }
  if (!l)
    g_propagate_error (error, g_steal_pointer (&local));
  return l;
}

void
mkvm_evacuate_unlock (MkvmEvacuateLock *lock)
{
  mkvm_lock_release (lock);
}

char *
mkvm_evacuate_dir (const char *rundir, GError **error)
{
  g_autofree char *dir = g_build_filename (rundir ? rundir : mkvm_path_rundir (), "evacuate",
                                           NULL);
  struct stat st;

  if (g_mkdir_with_parents (dir, 0700) < 0 || lstat (dir, &st) < 0)
    {
      int e = errno;
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO, "cannot create %s: %s", dir,
                   g_strerror (e));
      return NULL;
    }
  if (!S_ISDIR (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 077) != 0)
    {
      g_set_error (error, MKVM_ERROR, MKVM_ERROR_IO,
                   "%s must be a directory of uid %u with mode 0700 (it holds guests' "
                   "memory): it is uid %u mode %04o; remove it", dir, (guint) geteuid (),
                   (guint) st.st_uid, (guint) (st.st_mode & 07777));
      return NULL;
    }
  return g_steal_pointer (&dir);
}
