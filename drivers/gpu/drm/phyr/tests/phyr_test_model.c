// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reference model and shared fixtures for the phyr KUnit suites.
 */

#include <linux/module.h>
#include <linux/random.h>

#include "phyr_test_model.h"

unsigned int phyr_test_seed;
module_param_named(seed, phyr_test_seed, uint, 0400);
MODULE_PARM_DESC(seed, "seed of the random tests (0: pick one and print it)");

void phyr_model_init(struct kunit *test, struct phyr_model *m,
		     unsigned int cap)
{
	*m = (struct phyr_model){ .cap = cap };
	m->e = kunit_kcalloc(test, cap ? cap : 1, sizeof(*m->e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->e);
}

/* The documented rule: merge into the last range when adjacent, same flags
 * and the result stays within PHYR_MAX_LEN. The caller sizes the model.
 */
void phyr_model_append(struct phyr_model *m, u64 addr, u64 len,
		       unsigned int flags)
{
	struct phyr_model_ent *last = m->n ? &m->e[m->n - 1] : NULL;

	m->len += len;
	if (last && last->addr + last->len == addr && last->flags == flags &&
	    last->len + len <= PHYR_MAX_LEN) {
		last->len += len;
		return;
	}
	if (WARN_ON(m->n == m->cap))
		return;
	m->e[m->n++] = (struct phyr_model_ent){ addr, len, flags };
}

/* Bytes [off, off + len) of @src, the way a byte slice is defined. */
void phyr_model_slice(struct kunit *test, struct phyr_model *dst,
		      const struct phyr_model *src, u64 off, u64 len)
{
	u64 pos = 0;
	unsigned int i;

	phyr_model_init(test, dst, src->n);
	for (i = 0; i < src->n && len; i++) {
		const struct phyr_model_ent *e = &src->e[i];
		u64 skip, take;

		if (pos + e->len <= off) {
			pos += e->len;
			continue;
		}
		skip = off > pos ? off - pos : 0;
		take = min(e->len - skip, len);
		dst->e[dst->n++] = (struct phyr_model_ent){
			e->addr + skip, take, e->flags };
		dst->len += take;
		len -= take;
		pos += e->len;
	}
}

/* Consume @it and expect exactly the ranges of @m; stop at the first mismatch. */
void phyr_model_expect_iter(struct kunit *test, const struct phyr_model *m,
			    struct phyr_iter *it)
{
	unsigned int i = 0;
	struct phyr seg;

	phyr_for_each(seg, it) {
		KUNIT_ASSERT_LT_MSG(test, i, m->n, "more ranges than the model");
		KUNIT_ASSERT_EQ_MSG(test, phyr_addr(&seg), m->e[i].addr, "range %u", i);
		KUNIT_ASSERT_EQ_MSG(test, phyr_len(&seg), m->e[i].len, "range %u", i);
		KUNIT_ASSERT_EQ_MSG(test, phyr_flags(&seg), m->e[i].flags, "range %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, m->n, "fewer ranges than the model");
}

/*
 * The storage of @l is consistent: every chunk's byte count matches its
 * entries, @l->last and @l->last_idx name the last entry, the chunks after
 * it are empty, @l->tail ends the chain and @l->spare is what the chunks
 * have left.
 */
void phyr_test_expect_layout(struct kunit *test, const struct phyr_list *l)
{
	const struct phyr_chunk *c, *last = NULL;
	unsigned long nents = 0, spare = 0;
	u32 i, last_idx = 0;
	u64 len = 0;

	for (c = l->head; c; c = c->next) {
		u64 bytes = 0;

		KUNIT_ASSERT_LE(test, c->nr, c->cap);
		for (i = 0; i < c->nr; i += phyr_ent_words(&c->words[i])) {
			KUNIT_ASSERT_LE(test, i + phyr_ent_words(&c->words[i]),
					c->nr);
			bytes += phyr_ent_len(&c->words[i]);
			last = c;
			last_idx = i;
			nents++;
		}
		KUNIT_EXPECT_EQ(test, c->bytes, bytes);
		len += bytes;
		spare += (c->cap - c->nr) / 2;
		if (!c->next)
			KUNIT_EXPECT_PTR_EQ(test, l->tail, c);
	}
	if (!l->head)
		KUNIT_EXPECT_NULL(test, l->tail);
	KUNIT_EXPECT_PTR_EQ(test, l->last, last);
	if (last)
		KUNIT_EXPECT_EQ(test, l->last_idx, last_idx);
	for (c = last ? last->next : l->head; c; c = c->next)
		KUNIT_EXPECT_EQ(test, c->nr, 0);
	KUNIT_EXPECT_EQ(test, l->nents, nents);
	KUNIT_EXPECT_EQ(test, l->len, len);
	KUNIT_EXPECT_EQ(test, l->spare, spare);
}

/* A cursor over @l visits exactly the entries of @m. */
void phyr_model_expect_entries(struct kunit *test, const struct phyr_model *m,
			       const struct phyr_list *l)
{
	struct phyr_cursor cur;
	unsigned int i = 0;
	struct phyr seg;

	phyr_cursor_init(l, &cur);
	phyr_for_each_entry(seg, &cur) {
		KUNIT_ASSERT_LT_MSG(test, i, m->n, "more entries than the model");
		KUNIT_ASSERT_EQ_MSG(test, phyr_addr(&seg), m->e[i].addr, "entry %u", i);
		KUNIT_ASSERT_EQ_MSG(test, phyr_len(&seg), m->e[i].len, "entry %u", i);
		KUNIT_ASSERT_EQ_MSG(test, phyr_flags(&seg), m->e[i].flags, "entry %u", i);
		i++;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, m->n, "fewer entries than the model");
	/* a cursor at the end stays there */
	KUNIT_EXPECT_FALSE(test, phyr_cursor_next(&cur, &seg));
}

void phyr_model_expect_list(struct kunit *test, const struct phyr_model *m,
			    const struct phyr_list *l)
{
	struct phyr_iter it;

	phyr_test_expect_layout(test, l);
	phyr_model_expect_entries(test, m, l);

	KUNIT_EXPECT_EQ(test, phyr_list_nents(l), (unsigned long)m->n);
	KUNIT_EXPECT_EQ(test, phyr_list_length(l), m->len);
	phyr_iter_init(l, &it);
	phyr_model_expect_iter(test, m, &it);
	phyr_model_expect_summary(test, m, l);
}

/*
 * The list's summary says what the model's entries say. Of @cross only the
 * highest set bit carries meaning (an entry that grew by coalescing leaves
 * its shorter self in the OR, never a higher bit).
 */
void phyr_model_expect_summary(struct kunit *test, const struct phyr_model *m,
			       const struct phyr_list *l)
{
	const struct phyr_list_summary *s = &l->sum;
	u64 lowest = U64_MAX, end = 0, longest = 0, cross = 0;
	unsigned int i, flags = 0;

	if (!m->n)
		return;
	for (i = 0; i < m->n; i++) {
		const struct phyr_model_ent *e = &m->e[i];

		lowest = min(lowest, e->addr);
		end = max(end, e->addr + e->len);
		longest = max(longest, e->len);
		cross |= e->addr ^ (e->addr + e->len - 1);
		flags |= e->flags;
	}
	KUNIT_EXPECT_EQ(test, s->lowest, lowest);
	KUNIT_EXPECT_EQ(test, s->end, end);
	KUNIT_EXPECT_EQ(test, s->longest, longest);
	KUNIT_EXPECT_EQ(test, fls64(s->cross), fls64(cross));
	KUNIT_EXPECT_EQ(test, s->flags, flags);
}

KUNIT_DEFINE_ACTION_WRAPPER(phyr_list_free_action, phyr_list_free,
			    struct phyr_list *);

/* An empty list, itself and its chunks freed when the test ends. */
struct phyr_list *phyr_test_list(struct kunit *test)
{
	struct phyr_list *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, phyr_list_free_action, l));
	return l;
}

void phyr_test_rnd_init(struct kunit *test, struct rnd_state *rnd)
{
	if (!phyr_test_seed)
		phyr_test_seed = get_random_u32() ?: 1;
	kunit_info(test, "random seed %u (repeat with drm_phyr_test.seed=%u)\n",
		   phyr_test_seed, phyr_test_seed);
	prandom_seed_state(rnd, phyr_test_seed);
}

/*
 * Append @appends random ranges to both @l and @m: a third of them adjacent
 * to the previous one (with the same flags half of the time), lengths
 * from 1 byte to beyond 4 GiB, addresses and lengths multiples of
 * 2^@align_shift.
 */
void phyr_test_random_fill(struct kunit *test, struct rnd_state *rnd,
			   struct phyr_list *l, struct phyr_model *m,
			   unsigned int appends, unsigned int align_shift)
{
	u64 prev_end = 0;
	unsigned int prev_flags = 0, i;

	for (i = 0; i < appends; i++) {
		u32 r = prandom_u32_state(rnd);
		unsigned int flags = prandom_u32_state(rnd) & PHYR_F_VALID_MASK;
		u64 addr, len;

		switch (r % 16) {
		case 0:		/* beyond 4 GiB */
			len = SZ_4G + (prandom_u32_state(rnd) % SZ_16M);
			break;
		case 1 ... 5:	/* up to a few pages */
			len = 1 + prandom_u32_state(rnd) % (4 * SZ_4K);
			break;
		default:	/* up to 4 MiB */
			len = 1 + prandom_u32_state(rnd) % SZ_4M;
			break;
		}
		addr = ((u64)prandom_u32_state(rnd) << 16) ^ prandom_u32_state(rnd);
		if (i && (r >> 8) % 3 == 0) {
			addr = prev_end;
			if ((r >> 12) & 1)
				flags = prev_flags;
		}
		addr = round_down(addr, 1ull << align_shift);
		len = round_up(len, 1ull << align_shift);

		KUNIT_ASSERT_EQ(test, 0,
				phyr_list_append(l, addr, len, flags, GFP_KERNEL));
		phyr_model_append(m, addr, len, flags);
		prev_end = addr + len;
		prev_flags = flags;
	}
}

MODULE_DESCRIPTION("KUnit tests for the phyr core");
MODULE_IMPORT_NS(DRM_PHYR);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
