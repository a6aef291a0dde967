/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h — what every fuzz target of libmultikvm shares.  A target is a
 * libFuzzer entry point (LLVMFuzzerTestOneInput); built with clang and
 * -fsanitize=fuzzer it is a fuzzer, built with replay.c it runs files.
 * A broken invariant is a crash (FUZZ_CHECK), and so is any GLib warning or
 * critical: the library must print nothing and return errors.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "multikvm.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      {                                                                        \
        fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                 #cond);                                                       \
        abort ();                                                              \
      }                                                                        \
  } while (0)

/* The library's error contract: an MKVM_ERROR with a one-line message. */
static inline void
fuzz_check_error (const GError *error)
{
  FUZZ_CHECK (error != NULL && error->domain == MKVM_ERROR);
  FUZZ_CHECK (error->message && *error->message && !strchr (error->message, '\n'));
}

/* The input as a NUL-terminated string (the parsers take text). */
static inline char *
fuzz_text (const uint8_t *data, size_t size)
{
  return g_strndup ((const char *) data, size);
}

/* GLib's own fatal path traps (SIGTRAP), which libFuzzer does not catch:
 * abort instead, so the input is kept. */
static void
fuzz_log_abort (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  g_log_default_handler (domain, level, message, data);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_default_handler (fuzz_log_abort, NULL);
  return 0;
}
