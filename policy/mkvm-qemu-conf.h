/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-qemu-conf.h — what multikvm reads from libvirt's qemu.conf. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * mkvm_qemu_conf_list:
 * @conf: the text of /etc/libvirt/qemu.conf
 * @key: a list setting: "cgroup_device_acl", "cgroup_controllers",
 *   "namespaces"
 *
 * Returns: (transfer full) (element-type utf8) (nullable): the quoted
 * entries of `KEY = [ ... ]`, or NULL when the setting is absent.  '#'
 * starts a comment outside quotes; a quoted string ends on its line (the
 * list ends at one that does not, which libvirt refuses).
 */
GPtrArray *mkvm_qemu_conf_list (const char *conf, const char *key);

/** mkvm_qemu_conf_device_acl: mkvm_qemu_conf_list (@conf, "cgroup_device_acl"). */
GPtrArray *mkvm_qemu_conf_device_acl (const char *conf);

G_END_DECLS
