/* SPDX-License-Identifier: GPL-2.0-only */
/* The TLB tag check of debug builds (tlbcheck.c); no-ops otherwise. */
#ifndef _VAC_TLBCHECK_H
#define _VAC_TLBCHECK_H

#include "common.h"

struct dentry;

#ifdef MKVM_DEBUG_TLB
int vac_tlb_check_init(u32 nr_tags, const char *tag_name);
void vac_tlb_check_exit(void);
void vac_tlb_check_debugfs_init(struct dentry *dir);
void vac_tlb_check_asid_wrap(void);
#else
static inline int vac_tlb_check_init(u32 nr_tags, const char *tag_name) { return 0; }
static inline void vac_tlb_check_exit(void) { }
static inline void vac_tlb_check_debugfs_init(struct dentry *dir) { }
static inline void vac_tlb_check_asid_wrap(void) { }
#endif

#endif
