/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <libxml/xmlerror.h>
#include "mkvm-xml.h"

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

xmlDoc *
mkvm_xml_read (const char *xml, int len, const char *url, int options, char **problem)
{
  g_autoptr(xmlParserCtxt) ctxt = xmlNewParserCtxt ();
  g_autofree char *msg = NULL;
  MkvmXmlQuiet q;
  xmlErrorPtr e;
  xmlDoc *doc;

  if (!ctxt)
    {
      *problem = g_strdup ("out of memory");
      return NULL;
    }
  mkvm_xml_quiet_begin (&q);
  doc = xmlCtxtReadMemory (ctxt, xml, len, url, NULL,
                           options | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  mkvm_xml_quiet_end (&q);
  if (doc)
    return doc;
  e = xmlCtxtGetLastError (ctxt);
  msg = g_strdup (e && e->message ? e->message : "unknown error");
  g_strstrip (msg);
  g_strdelimit (msg, "\r\n\t", ' ');  /* one line */
  *problem = g_strdup_printf ("line %d: %s", e ? e->line : 0, msg);
  return NULL;
}

gboolean
mkvm_xml_is_elem (const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns == NULL
         && strcmp ((const char *) n->name, name) == 0;
}

char *
mkvm_xml_text (xmlNode *n)
{
  xmlChar *c = xmlNodeGetContent (n);
  char *r = g_strdup (c ? g_strstrip ((char *) c) : "");
  xmlFree (c);
  return r;
}
