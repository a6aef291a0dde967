/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-sysfs.h — what libmultikvm writes to sysfs; the one module that does
 * (mkvm-inventory.h only reads it).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** mkvm_vac_write_default: writes @id (0 = "none") to <sysfs>/kernel/vac/default_instance. */
gboolean mkvm_vac_write_default (guint id, GError **error);

G_END_DECLS
