/* SPDX-License-Identifier: GPL-2.0-or-later */
/* argv.h — the QEMU command-line surgery of multikvm-qemu (pure functions). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * mkvm_argv_find_uuid:
 * Returns: (transfer none) the value following the first "-uuid" (or
 * "--uuid") in @argv, or NULL (capability probes have none).
 */
const char *mkvm_argv_find_uuid (char **argv);

/**
 * mkvm_argv_set_kvm_device:
 * @argv: NULL-terminated QEMU argv (argv[0] included)
 * @device: node to put into every `-accel kvm[,...]`
 * @error: set when there is no `-accel kvm` to rewrite
 *
 * Returns a new argv (g_strfreev) identical to @argv except that each
 * `-accel kvm` / `-accel kvm,opts` argument gets `,device=@device` (an
 * existing device= option is replaced).  Other accelerators (tcg, ...) are
 * left alone.
 */
char **mkvm_argv_set_kvm_device (char **argv, const char *device, GError **error);

G_END_DECLS
