/* SPDX-License-Identifier: GPL-2.0-or-later */
/* meson's check that clang can link a libFuzzer target with ASan and UBSan. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return 0;
}
