/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include "mkvm-qemu-conf.h"

GPtrArray *
mkvm_qemu_conf_list (const char *conf, const char *key)
{
  g_auto(GStrv) lines = g_strsplit (conf, "\n", -1);
  g_autoptr(GString) text = g_string_new (NULL);
  const char *p;
  GPtrArray *out;

  for (char **l = lines; *l; l++)
    {
      gboolean quoted = FALSE;
      for (char *c = *l; *c; c++)
        {
          if (*c == '"')
            quoted = !quoted;
          else if (*c == '#' && !quoted)
            {
              *c = '\0';
              break;
            }
        }
      g_string_append_printf (text, "%s\n", *l);
    }
  p = strstr (text->str, key);
  while (p && p != text->str && (g_ascii_isalnum (p[-1]) || p[-1] == '_'))
    p = strstr (p + 1, key);
  if (!p || !(p = strchr (p, '[')))
    return NULL;
  out = g_ptr_array_new_with_free_func (g_free);
  for (p++; *p && *p != ']'; p++)
    if (*p == '"')
      {
        /* a string ends on its line (libvirt: "unterminated string") */
        const char *e = strpbrk (p + 1, "\"\n");
        if (!e || *e != '"')
          break;
        g_ptr_array_add (out, g_strndup (p + 1, e - p - 1));
        p = e;
      }
  return out;
}

GPtrArray *
mkvm_qemu_conf_device_acl (const char *conf)
{
  return mkvm_qemu_conf_list (conf, "cgroup_device_acl");
}
