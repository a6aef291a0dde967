/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _VAC_SVM_H
#define _VAC_SVM_H

#include "common.h"

struct dentry;

int vac_svm_asid_init(void);
void vac_svm_asid_exit(void);
void vac_svm_asid_debugfs_init(struct dentry *dir);
u32 vac_svm_asid_limit(u32 hw_max);

#endif
