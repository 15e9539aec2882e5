/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A reference model for the phyr KUnit suites: a plain array of ranges
 * with the documented coalescing rule, against which lists are compared.
 */
#ifndef __PHYR_TEST_MODEL_H__
#define __PHYR_TEST_MODEL_H__

#include <linux/prandom.h>
#include <linux/sizes.h>
#include <kunit/test.h>

#include <drm/drm_phyr.h>

/**
 * struct phyr_model_ent - one range of the reference model
 * @addr: physical start address
 * @len: length in bytes
 * @flags: entry flags
 */
struct phyr_model_ent {
	u64 addr;
	u64 len;
	unsigned int flags;
};

/**
 * struct phyr_model - array of ranges, allocated with kunit_kmalloc()
 * @e: the ranges
 * @n: ranges in use
 * @cap: ranges allocated
 * @len: total length
 */
struct phyr_model {
	struct phyr_model_ent *e;
	unsigned int n;
	unsigned int cap;
	u64 len;
};

extern unsigned int phyr_test_seed;

void phyr_model_init(struct kunit *test, struct phyr_model *m,
		     unsigned int cap);
void phyr_model_append(struct phyr_model *m, u64 addr, u64 len,
		       unsigned int flags);
void phyr_model_slice(struct kunit *test, struct phyr_model *dst,
		      const struct phyr_model *src, u64 off, u64 len);
void phyr_model_expect_iter(struct kunit *test, const struct phyr_model *m,
			    struct phyr_iter *it);
void phyr_model_expect_list(struct kunit *test, const struct phyr_model *m,
			    const struct phyr_list *l);
void phyr_model_expect_entries(struct kunit *test, const struct phyr_model *m,
			       const struct phyr_list *l);
void phyr_test_expect_layout(struct kunit *test, const struct phyr_list *l);
void phyr_model_expect_summary(struct kunit *test, const struct phyr_model *m,
			       const struct phyr_list *l);
struct phyr_list *phyr_test_list(struct kunit *test);
void phyr_test_random_fill(struct kunit *test, struct rnd_state *rnd,
			   struct phyr_list *l, struct phyr_model *m,
			   unsigned int appends, unsigned int align_shift);
void phyr_test_rnd_init(struct kunit *test, struct rnd_state *rnd);

#endif
