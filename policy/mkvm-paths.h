/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkvm-paths.h — well-known paths and their test overrides. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** The namespace URI of our element in a domain's <metadata>. */
#define MKVM_METADATA_URI    "http://multikvm.org/xmlns/libvirt/domain/1.0"
/** The prefix libvirt is told to use for it. */
#define MKVM_METADATA_PREFIX "mkvm"
/** Local name of the element: <mkvm:kvm instance="2" profile="hardened"/>. */
#define MKVM_METADATA_ELEMENT "kvm"

/** Highest instance id vac hands out (ids are 1..MKVM_INSTANCE_MAX). */
#define MKVM_INSTANCE_MAX 999

/**
 * mkvm_test_getenv:
 * @var: a test override, e.g. "MULTIKVM_SYSFS"
 *
 * The value of @var when set and non-empty, else NULL.  Only the test build
 * of the library (libmultikvm-testing: unit tests and the not-installed
 * multikvm-testing CLI) reads the environment, and then through
 * secure_getenv(); the library the installed programs link returns NULL for
 * every variable, so no environment can redirect a root hook or CLI.
 */
const char *mkvm_test_getenv (const char *var);

/** mkvm_test_build: TRUE in the test build (see mkvm_test_getenv()). */
gboolean mkvm_test_build (void);

/*
 * Each getter returns the test override (mkvm_test_getenv()) when set,
 * else the built-in default.  The returned string is owned by the library
 * (re-read from the environment on each call; valid until the next call
 * with the same getter or a change of the environment).  Callers that need
 * to keep it should g_strdup() it.
 *
 *   mkvm_path_policy()   MULTIKVM_POLICY  /etc/multikvm/policy.xml
 *   mkvm_path_rundir()   MULTIKVM_RUNDIR  /run/multikvm
 *   mkvm_path_sysfs()    MULTIKVM_SYSFS   /sys
 *   mkvm_path_devdir()   MULTIKVM_DEVDIR  /dev
 *   mkvm_path_conf()     MULTIKVM_CONF    /etc/multikvm/multikvm.conf
 *   mkvm_path_proc()     MULTIKVM_PROC    /proc
 */
const char *mkvm_path_policy (void);
const char *mkvm_path_rundir (void);
const char *mkvm_path_sysfs (void);
const char *mkvm_path_devdir (void);
const char *mkvm_path_conf (void);
const char *mkvm_path_proc (void);

/** mkvm_path_vac: newly allocated "<sysfs>/kernel/vac" (+ "/" + @sub if non-NULL). */
char *mkvm_path_vac (const char *sub);

/**
 * mkvm_conf_get:
 * @key: e.g. "qemu"
 *
 * Reads `key=value` lines of mkvm_path_conf() ('#' comments, blank lines and
 * whitespace around key and value ignored).  Returns: (transfer full) the
 * value of the last occurrence, or NULL (with @error unset) when the key is
 * absent or the file does not exist.  Other read errors set @error.
 */
char *mkvm_conf_get (const char *key, GError **error);

G_END_DECLS
