/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay.c — runs a fuzz target on files, without libFuzzer: every file
 * named, and every file in each directory named.  Built with the project's
 * compiler, it keeps the seeds and every reproducer a fuzzer found as
 * regression tests where clang is missing.  Exit 0 when all ran (a failed
 * invariant aborts).
 */
#include <stdint.h>
#include <stdio.h>
#include <glib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint
run_file (const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("%s", error->message);
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  return 1;
}

int
main (int argc, char **argv)
{
  guint n = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) d = NULL;
      const char *name;

      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          n += run_file (argv[i]);
          continue;
        }
      d = g_dir_open (argv[i], 0, NULL);
      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          n += run_file (path);
        }
    }
  printf ("%s: %u inputs, no invariant broken\n", argv[0], n);
  return n ? 0 : 1;
}
