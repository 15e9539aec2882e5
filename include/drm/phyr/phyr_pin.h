/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: pinning user memory into a phyr list.
 */
#ifndef __DRM_PHYR_PIN_H__
#define __DRM_PHYR_PIN_H__

#include <linux/bits.h>
#include <linux/types.h>

#include <drm/phyr/phyr_list.h>

#define PHYR_PIN_WRITE		BIT(0)	/* the pages will be written */
#define PHYR_PIN_LONGTERM	BIT(1)	/* held indefinitely (FOLL_LONGTERM) */
#define PHYR_PIN_ACCOUNT	BIT(2)	/* charge RLIMIT_MEMLOCK (pinned_vm) */
#define PHYR_PIN_VALID_MASK	(PHYR_PIN_WRITE | PHYR_PIN_LONGTERM | \
				 PHYR_PIN_ACCOUNT)

struct mm_struct;

/**
 * struct phyr_user_pin - user memory pinned into a phyr list
 * @list: the pinned bytes, one entry per physically contiguous run,
 *	%PHYR_IC_HOST | %PHYR_F_PINNED
 * @mm: the address space the pages were pinned from, grabbed while the
 *	pin is charged to it (%PHYR_PIN_ACCOUNT)
 * @npages: number of pages pinned
 * @flags: PHYR_PIN_* the range was pinned with
 * @folios: pinned folio by folio (a shared hugetlbfs mapping), one pin
 *	per folio rather than per page
 *
 * Filled by phyr_pin_user(), released by phyr_unpin_user().
 */
struct phyr_user_pin {
	struct phyr_list list;
	struct mm_struct *mm;
	unsigned long npages;
	unsigned int flags;
	bool folios;
};

int phyr_pin_user(struct phyr_user_pin *pin, unsigned long start, u64 len,
		  unsigned int flags);
void phyr_unpin_user(struct phyr_user_pin *pin, bool dirty);

#endif /* __DRM_PHYR_PIN_H__ */
