/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-libvirt.h — what libmultikvm knows of libvirt's QEMU driver: where
 * it keeps a running domain's QEMU pid and identity, and the cgroup it puts
 * QEMU in.  The rest of the library asks here and never reads libvirt's
 * files itself.
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

/**
 * MkvmLibvirtQemu: a QEMU process libvirt runs for a domain.
 * @name: the domain's name (mkvm_domain_name_valid())
 * @uuid: its uuid, lower case
 * @pid: QEMU's pid
 */
typedef struct {
  char *name;
  char *uuid;
  pid_t pid;
} MkvmLibvirtQemu;

void mkvm_libvirt_qemu_free (MkvmLibvirtQemu *q);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MkvmLibvirtQemu, mkvm_libvirt_qemu_free)

/**
 * mkvm_libvirt_qemus:
 *
 * The QEMU processes libvirt runs, from its own files only: for every
 * <name>.pid in libvirt's QEMU run dir (/run/libvirt/qemu), the status file
 * <name>.xml libvirt writes next to it (root only) must name the same
 * domain and pid and give a valid uuid, and the process must live in one of
 * libvirt's machine cgroups (machine-qemu\x2d...scope under systemd,
 * /machine/qemu-....libvirt-qemu without).  Names that are no valid domain
 * name, files that disagree, pids claimed twice and processes outside
 * libvirt's cgroups are skipped.  Nothing is taken from a process's own
 * command line, which the process can rewrite.
 * Returns: (transfer full) (element-type MkvmLibvirtQemu) possibly empty;
 * NULL with MKVM_ERROR_IO when the run dir exists but cannot be listed.
 */
GPtrArray *mkvm_libvirt_qemus (GError **error);

/**
 * mkvm_libvirt_machine_cgroup:
 * @path: a cgroup path, e.g. "/machine/qemu-1-web1.libvirt-qemu/emulator"
 * @prefix_len: (out) (optional): length of the path up to and including the
 *   machine component ("/machine/qemu-1-web1.libvirt-qemu")
 *
 * TRUE when @path lies in one of libvirt's machine cgroups.
 */
gboolean mkvm_libvirt_machine_cgroup (const char *path, gsize *prefix_len);

/**
 * mkvm_libvirt_in_machine_cgroup:
 * TRUE when <proc>/@pid/cgroup puts the process in one of libvirt's
 * machine cgroups (see mkvm_libvirt_qemus()).
 */
gboolean mkvm_libvirt_in_machine_cgroup (pid_t pid);

G_END_DECLS
