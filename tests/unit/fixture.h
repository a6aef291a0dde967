/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fixture.h — temporary sysfs/dev/run/proc trees for the unit tests. */
#pragma once

#include <glib.h>
#include <sys/types.h>

typedef struct {
  char *root;
  char *sys;
  char *dev;
  char *run;
  char *proc;
  char *policy;
  char *libvirt;  /* libvirt's QEMU run dir (pid and status files) */
} Fixture;

/* Ends a test program that needs root (mknod) as skipped when it does not
 * run as root: "1..0 # SKIP" on stdout and exit 0 under --tap (meson's TAP
 * protocol), else exit status 77 (meson's skip for plain tests). */
void fx_require_root (int argc, char **argv);

/* Creates the tree and points MULTIKVM_{SYSFS,DEVDIR,RUNDIR,PROC,POLICY,
 * LIBVIRT_RUNDIR} at it. */
Fixture *fx_new (void);
void fx_free (Fixture *fx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fixture, fx_free)

/* vac present with abi 1 (or @abi), vendor, default_instance "none". */
void fx_vac (Fixture *fx, const char *abi);
/* An instance: module kvm_amd_<id>, devname kvm<id>, dev 240:<id>,
 * @params "k=v k2=v2"; the device node is created with mknod (root). */
void fx_instance (Fixture *fx, guint id, gint64 build_time, guint vms, const char *params);
/* The build identity files of instance @id (vac with issue 13): KVM
 * @kvm_version from linux-source "<kvm_version>-1~deb12u1", multikvm 0.1.0,
 * series 3f2a9c01, @patches ("NAME@SHA8 ..."), kernel 6.12.107+deb12-amd64. */
void fx_build (Fixture *fx, guint id, const char *kvm_version, const char *patches);
void fx_write (const char *path, const char *text);
void fx_write_policy (Fixture *fx, const char *xml);
/* A fake process under proc/: cmdline args, fds pointing at the devices of @ids (0-ended). */
void fx_process (Fixture *fx, pid_t pid, const char *uuid, const char *name, const guint *ids);
/* libvirt runs QEMU @pid for domain @name: <libvirt>/NAME.pid, the status
 * file NAME.xml (pid, name, uuid) and proc/PID/cgroup in libvirt's machine
 * cgroup (systemd's scope when @systemd, else libvirt's own /machine). */
void fx_libvirt_domain (Fixture *fx, const char *name, const char *uuid, pid_t pid,
                        gboolean systemd);
char *fx_domain_xml (const char *name, const char *uuid, const char *metadata);
/* The <nova:instance> element OpenStack Nova writes into <metadata>, in
 * namespace version @version ("1.1", "1.0"), with flavor @flavor. */
char *fx_nova_metadata (const char *version, const char *flavor);
