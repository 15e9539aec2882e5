// SPDX-License-Identifier: GPL-2.0-only
/*
 * phyr lists: chained storage, coalescing append, slicing.
 */

#include <linux/io.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include <drm/drm_phyr.h>

#include "phyr_internal.h"

/*
 * A chunk never exceeds one page, so growing a list only ever needs
 * order-0 allocations. New chunks double in size from PHYR_CHUNK_MIN words
 * so that short lists stay small. Sizes are in 64-bit words: an entry
 * takes one or two (see "phyr list storage" in drm_phyr.h).
 */
#define PHYR_CHUNK_MIN	8u
#define PHYR_CHUNK_MAX	((PAGE_SIZE - sizeof(struct phyr_chunk)) / sizeof(u64))

static struct phyr_chunk *phyr_chunk_alloc(unsigned long cap, gfp_t gfp)
{
	struct phyr_chunk *c;

	cap = clamp_t(unsigned long, cap, PHYR_CHUNK_MIN, PHYR_CHUNK_MAX);
	c = kmalloc(struct_size(c, words, cap), gfp);
	if (!c)
		return NULL;
	c->next = NULL;
	c->nr = 0;
	c->cap = cap;
	c->bytes = 0;
	return c;
}

/*
 * Entries of any size that fit in what is left of @c. Every append uses at
 * most one of these (a two-word entry that does not fit in the last word
 * of a chunk goes to the next one), which is what makes l->spare a
 * guarantee.
 */
static unsigned long phyr_chunk_spare(const struct phyr_chunk *c)
{
	return (c->cap - c->nr) / 2;
}

/* Link a new empty chunk at the end of the chain. */
static void phyr_list_link(struct phyr_list *l, struct phyr_chunk *c)
{
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->spare += phyr_chunk_spare(c);
}

/**
 * phyr_list_reserve() - pre-allocate room for entries
 * @l: the list
 * @nr: number of entries the caller will append
 * @gfp: allocation flags
 *
 * After success the next @nr calls to phyr_list_append() on @l do not
 * allocate memory and cannot fail with -ENOMEM. Room is reserved for the
 * 16-byte form of every entry; what the 8-byte form leaves unused stays
 * available for later appends.
 *
 * Return: 0 on success, -ENOMEM if a chunk could not be allocated (the
 * chunks allocated so far stay reserved).
 */
int phyr_list_reserve(struct phyr_list *l, unsigned long nr, gfp_t gfp)
{
	while (l->spare < nr) {
		struct phyr_chunk *c = phyr_chunk_alloc(2 * (nr - l->spare), gfp);

		if (!c)
			return -ENOMEM;
		phyr_list_link(l, c);
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(phyr_list_reserve, DRM_PHYR);

/*
 * The chunk the next entry of @words words goes to: the one holding the
 * last entry while it has room, else the next (allocated if needed).
 * Chunks after the last entry's are empty.
 */
static struct phyr_chunk *phyr_list_room(struct phyr_list *l,
					 unsigned int words, gfp_t gfp)
{
	struct phyr_chunk *c = l->last ? l->last : l->head;

	if (c && c->cap - c->nr < words)
		c = c->next;
	if (!c) {
		unsigned long cap = l->tail ? l->tail->cap * 2ul : 0;

		c = phyr_chunk_alloc(cap, gfp);
		if (!c)
			return NULL;
		phyr_list_link(l, c);
	}
	return c;
}

/* Whether [@addr, @addr + @len) has an 8-byte form. */
static bool phyr_ent_fits_short(u64 addr, u64 len)
{
	return !((addr | len) & ~PAGE_MASK) &&
	       !((addr >> PAGE_SHIFT) & ~PHYR_W_PFN) &&
	       (len >> PAGE_SHIFT) <= BIT_ULL(PHYR_W_PAGES_BITS);
}

/* Store an entry at @w in the form given by @words; the caller checked it. */
static void phyr_ent_store(u64 *w, unsigned int words, u64 addr, u64 len,
			   unsigned int flags)
{
	if (words == 1) {
		w[0] = PHYR_W_SHORT | (u64)flags << PHYR_LEN_BITS |
		       ((len >> PAGE_SHIFT) - 1) << PHYR_W_PAGES_SHIFT |
		       addr >> PAGE_SHIFT;
	} else {
		w[0] = len | (u64)flags << PHYR_LEN_BITS;
		w[1] = addr;
	}
}

/* Store a new entry at the end of @c, which has room for it. */
static void phyr_chunk_put(struct phyr_list *l, struct phyr_chunk *c,
			   unsigned int words, u64 addr, u64 len,
			   unsigned int flags)
{
	unsigned long spare = phyr_chunk_spare(c);

	phyr_ent_store(&c->words[c->nr], words, addr, len, flags);
	l->last = c;
	l->last_idx = c->nr;
	c->nr += words;
	c->bytes += len;
	l->spare -= spare - phyr_chunk_spare(c);
}

/* Account for the entry [@start, @end) in the summary of @l. */
static void phyr_list_sum(struct phyr_list *l, u64 start, u64 end,
			  unsigned int flags)
{
	struct phyr_list_summary *s = &l->sum;

	if (!l->nents || start < s->lowest)
		s->lowest = start;
	s->end = max(s->end, end);
	s->longest = max(s->longest, end - start);
	s->cross |= start ^ (end - 1);
	s->flags |= flags;
}

/*
 * Grow the last entry of @l, @p, to @len bytes. An 8-byte entry that no
 * longer fits its form is rewritten in the 16-byte form: in place when its
 * chunk has a free word after it, else at the start of the next chunk.
 */
static int phyr_list_grow_last(struct phyr_list *l, const struct phyr *p,
			       u64 len, gfp_t gfp)
{
	struct phyr_chunk *c = l->last, *next;
	u64 *w = &c->words[l->last_idx];
	unsigned long spare;

	if (!(*w & PHYR_W_SHORT) || phyr_ent_fits_short(p->addr, len)) {
		phyr_ent_store(w, phyr_ent_words(w), p->addr, len, phyr_flags(p));
		c->bytes += len - phyr_len(p);
		return 0;
	}
	if (c->nr < c->cap) {
		spare = phyr_chunk_spare(c);
		phyr_ent_store(w, 2, p->addr, len, phyr_flags(p));
		c->nr++;
		c->bytes += len - phyr_len(p);
		l->spare -= spare - phyr_chunk_spare(c);
		return 0;
	}
	next = phyr_list_room(l, 2, gfp);
	if (!next)
		return -ENOMEM;
	/* the entry is the one word at the end of its full chunk */
	c->nr--;
	c->bytes -= phyr_len(p);
	phyr_chunk_put(l, next, 2, p->addr, len, phyr_flags(p));
	return 0;
}

/*
 * Append a range the caller validated. It merges into the last entry only
 * while the merged length stays within @merge_max (0: never merge).
 */
static int __phyr_list_add(struct phyr_list *l, u64 addr, u64 len,
			   unsigned int flags, u64 merge_max, gfp_t gfp)
{
	struct phyr_chunk *c;
	unsigned int words;
	u64 total;
	int ret;

	if (check_add_overflow(l->len, len, &total))
		return -E2BIG;

	if (l->last) {
		struct phyr p = phyr_ent_decode(&l->last->words[l->last_idx]);

		if (phyr_end(&p) == addr && phyr_flags(&p) == flags &&
		    phyr_len(&p) + len <= min(merge_max, PHYR_MAX_LEN)) {
			ret = phyr_list_grow_last(l, &p, phyr_len(&p) + len, gfp);
			if (ret)
				return ret;
			l->len = total;
			phyr_list_sum(l, p.addr, addr + len, flags);
			return 0;
		}
	}

	words = phyr_ent_fits_short(addr, len) ? 1 : 2;
	c = phyr_list_room(l, words, gfp);
	if (!c)
		return -ENOMEM;
	phyr_chunk_put(l, c, words, addr, len, flags);
	phyr_list_sum(l, addr, addr + len, flags);
	l->nents++;
	l->len = total;
	return 0;
}

/*
 * Append without the public flag check: the DMA tables store mapping bits
 * above PHYR_F_VALID_MASK.
 */
int phyr_list_add(struct phyr_list *l, u64 addr, u64 len, unsigned int flags,
		  u64 merge_max, gfp_t gfp)
{
	u64 end;

	if (!len || flags > PHYR_W_FLAGS_MAX ||
	    check_add_overflow(addr, len, &end))
		return -EINVAL;
	if (len > PHYR_MAX_LEN)
		return -E2BIG;
	return __phyr_list_add(l, addr, len, flags, merge_max, gfp);
}

/**
 * phyr_list_append() - add a range at the end of a list
 * @l: the list
 * @addr: physical start address
 * @len: length in bytes
 * @flags: interconnect kind and attribute bits
 * @gfp: allocation flags, used only when no room was reserved
 *
 * If the range starts where the last entry ends and has the same flags,
 * the last entry grows instead (as long as it stays within %PHYR_MAX_LEN),
 * so the list always holds the fewest entries for what was appended.
 *
 * Return: 0 on success, -EINVAL or -E2BIG for a range phyr_check()
 * rejects, -E2BIG if the total length of the list would overflow,
 * -ENOMEM if a chunk could not be allocated. The list is unchanged on
 * error.
 */
int phyr_list_append(struct phyr_list *l, phys_addr_t addr, u64 len,
		     unsigned int flags, gfp_t gfp)
{
	int ret = phyr_check(addr, len, flags);

	return ret ? ret : __phyr_list_add(l, addr, len, flags, PHYR_MAX_LEN, gfp);
}
EXPORT_SYMBOL_NS_GPL(phyr_list_append, DRM_PHYR);

VISIBLE_IF_KUNIT
void phyr_list_mark(const struct phyr_list *l, struct phyr_list_mark *m)
{
	m->hdr = *l;
	if (l->last) {
		m->word = l->last->words[l->last_idx];
		m->nr = l->last->nr;
		m->bytes = l->last->bytes;
	}
}
EXPORT_SYMBOL_IF_KUNIT(phyr_list_mark);

/* Free the chunks after @prev (after the head when @prev is NULL). */
static void phyr_list_cut(struct phyr_list *l, struct phyr_chunk *prev)
{
	struct phyr_chunk *c = prev ? prev->next : l->head;

	while (c) {
		struct phyr_chunk *next = c->next;

		l->spare -= phyr_chunk_spare(c);
		kfree(c);
		c = next;
	}
	if (prev)
		prev->next = NULL;
	else
		l->head = NULL;
	l->tail = prev;
}

/* Take back every append since phyr_list_mark() stored @m. */
VISIBLE_IF_KUNIT
void phyr_list_rewind(struct phyr_list *l, const struct phyr_list_mark *m)
{
	const struct phyr_list *o = &m->hdr;
	struct phyr_chunk *c = o->head;

	if (o->last) {
		o->last->words[o->last_idx] = m->word;
		o->last->nr = m->nr;
		o->last->bytes = m->bytes;
		c = o->last->next;
	}
	/* the chunks that were reserved stay, empty again */
	for (; c && c != o->tail->next; c = c->next) {
		c->nr = 0;
		c->bytes = 0;
	}
	phyr_list_cut(l, o->tail);
	*l = *o;
}
EXPORT_SYMBOL_IF_KUNIT(phyr_list_rewind);

/*
 * The fast part of phyr_list_append_pages(), inside the chunk of the last
 * entry: a page that continues the last entry grows it, any other page
 * becomes a new 8-byte entry in the next free word. It stops at what needs
 * the general path: a full chunk, a page frame number beyond the 8-byte
 * form, or a last entry that cannot grow in place. Returns the number of
 * pages taken.
 */
static unsigned long phyr_list_fill(struct phyr_list *l,
				    struct page *const *pages,
				    unsigned long n, unsigned int flags)
{
	const u64 head = PHYR_W_SHORT | (u64)flags << PHYR_LEN_BITS;
	const u64 one = BIT_ULL(PHYR_W_PAGES_SHIFT);
	struct phyr_chunk *c = l->last;
	u64 *words = c->words, *w = &words[l->last_idx], step = one;
	unsigned long i, pfn, next = ULONG_MAX, room = 0;
	u64 lo, hi, longest, cross;
	u32 nr = c->nr, cap = c->cap, k;
	struct phyr p = phyr_ent_decode(w);

	/* whether, and by how many pages, the last entry can grow */
	if (phyr_flags(&p) == flags && !(phyr_end(&p) & ~PAGE_MASK)) {
		next = phyr_end(&p) >> PAGE_SHIFT;
		if (*w & PHYR_W_SHORT) {
			room = BIT(PHYR_W_PAGES_BITS) - (phyr_len(&p) >> PAGE_SHIFT);
		} else {
			room = (PHYR_MAX_LEN - phyr_len(&p)) >> PAGE_SHIFT;
			step = PAGE_SIZE;
		}
	}

	/* only the words: few enough live values to stay in registers */
	for (i = 0; i < n; i++) {
		pfn = page_to_pfn(pages[i]);
		if (pfn == next) {
			if (!room)
				break;
			*w += step;
			room--;
			next++;
			continue;
		}
		if (nr == cap || pfn > PHYR_W_PFN)
			break;
		w = &words[nr++];
		*w = head | pfn;
		next = pfn + 1;
		room = BIT(PHYR_W_PAGES_BITS) - 1;
		step = one;
	}
	if (!i)
		return 0;

	/*
	 * Then the summary, over the entry that was last before (it may have
	 * grown) and the new ones, all of them one word.
	 */
	p = phyr_ent_decode(&words[l->last_idx]);
	lo = p.addr;
	hi = phyr_end(&p);
	longest = phyr_len(&p);
	cross = p.addr ^ (hi - 1);
	for (k = c->nr; k < nr; k++) {
		u64 start = (words[k] & PHYR_W_PFN) << PAGE_SHIFT;
		u64 len = phyr_ent_len(&words[k]);

		lo = min(lo, start);
		hi = max(hi, start + len);
		longest = max(longest, len);
		cross |= start ^ (start + len - 1);
	}
	/* not phyr_list_sum(): [lo, hi) is a span, not an entry */
	l->sum.lowest = min(l->sum.lowest, lo);
	l->sum.end = max(l->sum.end, hi);
	l->sum.longest = max(l->sum.longest, longest);
	l->sum.cross |= cross;
	l->sum.flags |= flags;

	l->spare -= phyr_chunk_spare(c) - (cap - nr) / 2;
	l->nents += nr - c->nr;
	c->bytes += (u64)i << PAGE_SHIFT;
	c->nr = nr;
	l->last_idx = w - words;
	l->len += (u64)i << PAGE_SHIFT;
	return i;
}

/**
 * phyr_list_append_pages() - add an array of pages at the end of a list
 * @l: the list
 * @pages: the pages
 * @n: number of pages, may be zero
 * @flags: interconnect kind and attribute bits for every page
 * @gfp: allocation flags
 *
 * Appends one %PAGE_SIZE range per page, coalesced exactly as @n calls of
 * phyr_list_append() would: the list ends up with the same entries in the
 * same storage. The page-array counterpart of sg_alloc_table_from_pages():
 * inside a chunk, pages are merged or written as 8-byte entries in a tight
 * loop; only a chunk boundary or an entry that needs the 16-byte form
 * takes the general path. Unlike such a loop of calls, it is all or
 * nothing.
 *
 * Return: 0 on success, -EINVAL for flags phyr_check() rejects, -E2BIG if
 * the total length of the list would overflow, -ENOMEM if storage could
 * not be allocated. The list is unchanged on error.
 */
int phyr_list_append_pages(struct phyr_list *l, struct page *const *pages,
			   unsigned long n, unsigned int flags, gfp_t gfp)
{
	struct phyr_list_mark m;
	unsigned long i = 0;
	int ret;

	ret = phyr_check(0, PAGE_SIZE, flags);
	if (ret)
		return ret;
	if (n > (U64_MAX - l->len) >> PAGE_SHIFT)
		return -E2BIG;
	if (!n)
		return 0;

	phyr_list_mark(l, &m);
	while (i < n) {
		if (l->last)
			i += phyr_list_fill(l, pages + i, n - i, flags);
		if (i == n)
			break;
		/* the next chunk, a widened entry, a large pfn, ... */
		ret = __phyr_list_add(l, page_to_phys(pages[i]), PAGE_SIZE,
				      flags, PHYR_MAX_LEN, gfp);
		if (ret) {
			phyr_list_rewind(l, &m);
			return ret;
		}
		i++;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(phyr_list_append_pages, DRM_PHYR);

/**
 * phyr_list_free() - release the storage of a list
 * @l: the list
 *
 * Frees every chunk, reserved ones included, and leaves @l empty and
 * ready for reuse. The memory the ranges describe is not touched.
 */
void phyr_list_free(struct phyr_list *l)
{
	struct phyr_chunk *c = l->head;

	while (c) {
		struct phyr_chunk *next = c->next;

		kfree(c);
		c = next;
	}
	phyr_list_init(l);
}
EXPORT_SYMBOL_NS_GPL(phyr_list_free, DRM_PHYR);

/**
 * phyr_list_storage() - memory a list occupies
 * @l: the list
 *
 * Return: the bytes of every chunk of @l, reserved ones and chunk headers
 * included; what the list itself costs beyond its &struct phyr_list.
 */
size_t phyr_list_storage(const struct phyr_list *l)
{
	const struct phyr_chunk *c;
	size_t bytes = 0;

	for (c = l->head; c; c = c->next)
		bytes += struct_size(c, words, c->cap);
	return bytes;
}
EXPORT_SYMBOL_NS_GPL(phyr_list_storage, DRM_PHYR);

/**
 * phyr_iter_init_slice() - start iterating over a byte slice of a list
 * @l: the list
 * @offset: byte offset of the slice in the list
 * @len: length of the slice in bytes, may be zero
 * @it: the iterator to set up
 *
 * Seeking to @offset skips whole chunks before it and walks the entries
 * of the chunk it lands in.
 *
 * Return: 0 on success, -EINVAL if the slice does not lie within the list
 * (@it is not modified then).
 */
int phyr_iter_init_slice(const struct phyr_list *l, u64 offset, u64 len,
			 struct phyr_iter *it)
{
	const struct phyr_chunk *c = l->head;
	struct phyr_iter pos;
	u64 end, skip = 0;

	if (check_add_overflow(offset, len, &end) || end > l->len)
		return -EINVAL;

	/* stay on the last chunk with entries: the iterator ends inside it */
	while (c && c->next && c->next->nr && offset - skip >= c->bytes) {
		skip += c->bytes;
		c = c->next;
	}
	pos = (struct phyr_iter){ .next = c, .size = l->len - skip };
	phyr_iter_advance(&pos, offset - skip);
	pos.size = len;
	*it = pos;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(phyr_iter_init_slice, DRM_PHYR);

/**
 * phyr_list_slice() - copy a byte slice of a list into another list
 * @dst: empty destination list
 * @src: source list
 * @offset: byte offset of the slice in @src
 * @len: length of the slice in bytes, may be zero
 * @gfp: allocation flags
 *
 * The first and last entries of @dst are clipped to the slice; flags are
 * kept. Room for every entry is reserved before the first is copied.
 *
 * Return: 0 on success, -EINVAL if @dst is not empty or the slice does not
 * lie within @src, -ENOMEM on allocation failure (@dst is left empty).
 */
int phyr_list_slice(struct phyr_list *dst, const struct phyr_list *src,
		    u64 offset, u64 len, gfp_t gfp)
{
	struct phyr_iter it, count;
	unsigned long n = 0;
	struct phyr seg;
	int ret;

	if (!phyr_list_empty(dst))
		return -EINVAL;
	ret = phyr_iter_init_slice(src, offset, len, &it);
	if (ret)
		return ret;

	count = it;
	phyr_for_each(seg, &count)
		n++;
	ret = phyr_list_reserve(dst, n, gfp);
	if (ret)
		goto err_free;

	phyr_for_each(seg, &it) {
		ret = phyr_list_append(dst, phyr_addr(&seg), phyr_len(&seg),
				       phyr_flags(&seg), gfp);
		if (WARN_ON_ONCE(ret))
			goto err_free;
	}
	return 0;

err_free:
	phyr_list_free(dst);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(phyr_list_slice, DRM_PHYR);

MODULE_DESCRIPTION("phyr: physical address range lists for DRM and dma-buf");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
