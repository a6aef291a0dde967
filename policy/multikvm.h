/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* multikvm.h — umbrella header of libmultikvm. */
#pragma once

#include "mkvm-error.h"
#include "mkvm-paths.h"
#include "mkvm-wish.h"
#include "mkvm-domain.h"
#include "mkvm-json.h"
#include "mkvm-policy.h"
#include "mkvm-inventory.h"
#include "mkvm-sysfs.h"
#include "mkvm-node.h"
#include "mkvm-state.h"
#include "mkvm-decide.h"
#include "mkvm-events.h"
#include "mkvm-reconcile.h"
#include "mkvm-libvirt.h"
#include "mkvm-confine.h"
#include "mkvm-qemu-conf.h"
#include "mkvm-evacuate.h"
