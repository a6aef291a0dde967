/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vac against every 6.12.y kernel: core-kernel interfaces that changed
 * inside the 6.12 stable series.  Kbuild tests the headers vac is built
 * against and defines VAC_HAVE_<X> for each newer interface present (see
 * Kbuild); one entry here per change, saying since when and what differs.
 */
#ifndef _VAC_COMPAT_H
#define _VAC_COMPAT_H

#include <linux/syscore_ops.h>

/*
 * Syscore registration: since 6.12.115 (Debian 6.12.115-1~deb12u1),
 * struct syscore { node, ops, data } is registered with register_syscore()
 * and its struct syscore_ops callbacks take the data pointer; up to
 * 6.12.113, struct syscore_ops itself is the list node, registered with
 * register_syscore_ops(), and the callbacks take no argument.  Same
 * semantics on both: the callbacks run on one CPU with interrupts off.
 *
 * VAC_SYSCORE(name, suspend, resume, shutdown) defines a registration
 * named @name for callbacks of the old form (int (*)(void), void (*)(void));
 * vac_register_syscore(&name) and vac_unregister_syscore(&name) use it.
 */
#ifdef VAC_HAVE_STRUCT_SYSCORE
#define VAC_SYSCORE(name, _suspend, _resume, _shutdown)		\
static int name##_suspend(void *data) { return _suspend(); }		\
static void name##_resume(void *data) { _resume(); }			\
static void name##_shutdown(void *data) { _shutdown(); }		\
static const struct syscore_ops name##_ops = {				\
	.suspend = name##_suspend,					\
	.resume = name##_resume,					\
	.shutdown = name##_shutdown,					\
};									\
static struct syscore name = { .ops = &name##_ops }
#define vac_register_syscore(s)		register_syscore(s)
#define vac_unregister_syscore(s)	unregister_syscore(s)
#else
#define VAC_SYSCORE(name, _suspend, _resume, _shutdown)		\
static struct syscore_ops name = {					\
	.suspend = _suspend,						\
	.resume = _resume,						\
	.shutdown = _shutdown,						\
}
#define vac_register_syscore(s)		register_syscore_ops(s)
#define vac_unregister_syscore(s)	unregister_syscore_ops(s)
#endif

#endif /* _VAC_COMPAT_H */
