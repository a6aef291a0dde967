/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-xml.h — libxml2 in libmultikvm (internal, not API): automatic
 * cleanup of its objects, silencing its global error printer, and a parse
 * whose failure is one line.
 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)

/* libxml2 prints some errors (encoding conversion, I/O) through its global
 * generic handler even with XML_PARSE_NOERROR; front ends must print one
 * line only.  Silence it for the current thread between begin and end. */
typedef struct {
  void *ctx;
  void (*func) (void *, const char *, ...);
} MkvmXmlQuiet;
void mkvm_xml_quiet_begin (MkvmXmlQuiet *saved);
void mkvm_xml_quiet_end (MkvmXmlQuiet *saved);

/*
 * mkvm_xml_read: parses @len bytes of @xml (named @url in libxml2's
 * messages) silently, without network access, with @options added.
 * Returns: (transfer full) the document, or NULL with *@problem set to one
 * line, "line N: what libxml2 says".
 */
xmlDoc *mkvm_xml_read (const char *xml, int len, const char *url, int options,
                       char **problem);

/* mkvm_xml_is_elem: @n is an element named @name in no namespace. */
gboolean mkvm_xml_is_elem (const xmlNode *n, const char *name);

/* mkvm_xml_text: (transfer full) the text content of @n, stripped. */
char *mkvm_xml_text (xmlNode *n);
