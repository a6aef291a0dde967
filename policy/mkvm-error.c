/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mkvm-error.h"

G_DEFINE_QUARK (mkvm-error-quark, mkvm_error)
