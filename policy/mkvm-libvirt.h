/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-libvirt.h — what libmultikvm knows of libvirt's QEMU driver: where
 * it keeps a running domain's QEMU pid.  The rest of the library asks here
 * and never reads libvirt's files itself.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

/**
 * mkvm_libvirt_qemu_pid:
 * @domain_name: the domain's name (as libvirt passes it to hooks)
 *
 * Reads <libvirt run dir>/<name>.pid (/run/libvirt/qemu).
 * Returns: the pid, or 0 with @error set (MKVM_ERROR_INVALID for a name
 * that cannot be a file name or a file that holds no pid, MKVM_ERROR_IO
 * when it cannot be read).
 */
pid_t mkvm_libvirt_qemu_pid (const char *domain_name, GError **error);

G_END_DECLS
