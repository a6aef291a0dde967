/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mkvm-journal.h — each placement and refusal, as a structured entry of the
 * systemd journal (`journalctl MESSAGE_ID=...`, `journalctl DOMAIN_NAME=web1`).
 */
#pragma once

#include <glib.h>
#include "mkvm-wish.h"
#include "mkvm-state.h"

G_BEGIN_DECLS

/* MESSAGE_IDs (128 bits, fixed; documented in multikvm-hook(8)) */
#define MKVM_JOURNAL_PLACED  "7738910085f44379b072d9fa7ce4d9a0"   /* a domain got its instance */
#define MKVM_JOURNAL_REFUSED "3fec54458ca744e5a9c0fbf54ce20112"   /* a domain's start was refused */

/**
 * mkvm_journal_placed:
 * Logs that domain @rec->name (@rec->uuid) was placed on @rec->instance:
 * MESSAGE_ID=MKVM_JOURNAL_PLACED, PRIORITY=6 (info), MESSAGE, DOMAIN_UUID,
 * DOMAIN_NAME, INSTANCE, DEVICE, PROFILE (when one applies), REASON (why
 * this instance), SYSLOG_IDENTIFIER (the program).
 *
 * Entries go straight to the journal's socket (g_log_writer_journald(),
 * not the process's GLib log writer, so nothing reaches stderr); without a
 * journal nothing happens and nothing fails.
 */
void mkvm_journal_placed (const MkvmRecord *rec);

/**
 * mkvm_journal_refused:
 * @uuid: (nullable): the domain's uuid, NULL when its XML has none
 * @name: (nullable): its name
 * @wish: (nullable): what it asked for (INSTANCE, PROFILE), NULL when its
 *   XML did not parse
 * @error: why (REASON: the message without its "domain 'NAME': " prefix)
 *
 * Logs a refusal: MESSAGE_ID=MKVM_JOURNAL_REFUSED, PRIORITY=4 (warning),
 * MESSAGE, DOMAIN_UUID, DOMAIN_NAME, INSTANCE and PROFILE (as asked, when
 * asked), REASON, SYSLOG_IDENTIFIER.  Silent as mkvm_journal_placed().
 */
void mkvm_journal_refused (const char *uuid, const char *name, const MkvmWish *wish,
                           const GError *error);

G_END_DECLS
