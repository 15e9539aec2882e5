/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: entries (physical address ranges with interconnect flags), the
 * lists that hold them, and iteration over a list.
 */
#ifndef __DRM_PHYR_LIST_H__
#define __DRM_PHYR_LIST_H__

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/types.h>

#include <asm/page.h>

struct page;

/**
 * DOC: phyr entries
 *
 * A &struct phyr describes one physically contiguous range of memory that
 * the CPU and devices can address: a CPU physical address, a length in
 * bytes and a few flags. The memory does not need a &struct page: GPU VRAM
 * and other PCI BARs are described the same way as system RAM.
 *
 * An entry is 16 bytes on 64-bit: the address is a full &phys_addr_t and
 * the second word holds the length in bits 0..55 and the flags in bits
 * 56..63. The flags live in the length word, not in the address word,
 * because physical addresses are byte granular (no free low bits) and the
 * number of implemented high address bits is an architecture property,
 * whereas a single range of 2^56 bytes (64 PiB) is beyond any memory a
 * device can expose. A length of 4 GiB or more is therefore representable,
 * unlike in a bio_vec or a scatterlist. Only phyr_len(), phyr_flags() and
 * phyr_set() know this layout. This is the form in which ranges are passed
 * around; a list stores most entries in 8 bytes (see "phyr list storage").
 *
 * The flags are an interconnect kind in bits 0..1 (how the memory is
 * reached: %PHYR_IC_HOST, %PHYR_IC_DEVICE, %PHYR_IC_P2P or %PHYR_IC_LINK)
 * and attribute bits (%PHYR_F_MMIO, %PHYR_F_PINNED, %PHYR_F_WC). Bits above
 * %PHYR_F_VALID_MASK are reserved and rejected with -EINVAL.
 *
 * %PHYR_F_MMIO says that the range has no struct page and is not RAM (a
 * device's BAR); how the CPU maps it is a separate attribute, %PHYR_F_WC
 * (write-combined, as for VRAM behind a BAR), without which CPU mappings
 * are write-back (as for device memory a coherent link makes cacheable).
 *
 * A range is valid when its length is not zero, not above %PHYR_MAX_LEN
 * and its exclusive end (address + length) does not wrap around the
 * physical address space.
 */

/* Interconnect kinds, stored in bits 0..1 of the entry flags. */
#define PHYR_IC_HOST		0x0u	/* system memory behind the host bridge */
#define PHYR_IC_DEVICE		0x1u	/* memory local to the exporting device */
#define PHYR_IC_P2P		0x2u	/* another device's memory over PCI P2P */
#define PHYR_IC_LINK		0x3u	/* memory reached over a GPU-to-GPU link */
#define PHYR_IC_MASK		0x3u

/* Attribute bits. */
#define PHYR_F_MMIO		BIT(2)	/* memory-mapped I/O, no struct page */
#define PHYR_F_PINNED		BIT(3)	/* pinned for the lifetime of the list */
#define PHYR_F_WC		BIT(4)	/* the CPU maps it write-combined */
#define PHYR_F_VALID_MASK	(PHYR_IC_MASK | PHYR_F_MMIO | PHYR_F_PINNED | \
				 PHYR_F_WC)

#define PHYR_LEN_BITS		56
#define PHYR_MAX_LEN		(BIT_ULL(PHYR_LEN_BITS) - 1)

/**
 * struct phyr - one physically contiguous address range
 * @addr: CPU physical address of the first byte
 * @len_flags: length in bits 0..55, flags in bits 56..63; use phyr_len()
 *	and phyr_flags(), never the raw field
 */
struct phyr {
	phys_addr_t addr;
	u64 len_flags;
};

/**
 * phyr_check() - validate a range before it is stored
 * @addr: physical start address
 * @len: length in bytes
 * @flags: interconnect kind and attribute bits
 *
 * Return: 0 if the range can be stored, -EINVAL for a zero length,
 * reserved flag bits or a range whose end wraps, -E2BIG for a length
 * above %PHYR_MAX_LEN.
 */
static inline int phyr_check(phys_addr_t addr, u64 len, unsigned int flags)
{
	phys_addr_t end;

	if (!len || (flags & ~PHYR_F_VALID_MASK))
		return -EINVAL;
	if (len > PHYR_MAX_LEN)
		return -E2BIG;
	if (check_add_overflow(addr, (phys_addr_t)len, &end))
		return -EINVAL;
	return 0;
}

/**
 * phyr_set() - fill in an entry
 * @p: entry to fill
 * @addr: physical start address
 * @len: length in bytes
 * @flags: interconnect kind and attribute bits
 *
 * Return: 0 on success or the error of phyr_check(); @p is not modified
 * on error.
 */
static inline int phyr_set(struct phyr *p, phys_addr_t addr, u64 len,
			   unsigned int flags)
{
	int ret = phyr_check(addr, len, flags);

	if (ret)
		return ret;
	p->addr = addr;
	p->len_flags = len | ((u64)flags << PHYR_LEN_BITS);
	return 0;
}

/**
 * phyr_addr() - physical start address of a range
 * @p: the range
 *
 * Return: the CPU physical address of the first byte.
 */
static inline phys_addr_t phyr_addr(const struct phyr *p)
{
	return p->addr;
}

/**
 * phyr_len() - length of a range
 * @p: the range
 *
 * Return: the length in bytes (up to %PHYR_MAX_LEN).
 */
static inline u64 phyr_len(const struct phyr *p)
{
	return p->len_flags & PHYR_MAX_LEN;
}

/**
 * phyr_flags() - flags of a range
 * @p: the range
 *
 * Return: the interconnect kind and attribute bits.
 */
static inline unsigned int phyr_flags(const struct phyr *p)
{
	return p->len_flags >> PHYR_LEN_BITS;
}

/**
 * phyr_interconnect() - how the memory of a range is reached
 * @p: the range
 *
 * Return: one of %PHYR_IC_HOST, %PHYR_IC_DEVICE, %PHYR_IC_P2P or
 * %PHYR_IC_LINK.
 */
static inline unsigned int phyr_interconnect(const struct phyr *p)
{
	return phyr_flags(p) & PHYR_IC_MASK;
}

/**
 * phyr_end() - exclusive end address of a range
 * @p: the range
 *
 * Return: the physical address just past the last byte.
 */
static inline phys_addr_t phyr_end(const struct phyr *p)
{
	return p->addr + phyr_len(p);
}

/**
 * DOC: phyr lists
 *
 * A &struct phyr_list holds any number of entries in a chain of chunks,
 * each at most one page, so a list of 2^18 entries never needs vmalloc or
 * a high-order allocation. phyr_list_append() coalesces a range into the
 * last entry when it starts where that entry ends and has the same flags,
 * also when the last entry sits at the end of a full chunk.
 * phyr_list_reserve() pre-allocates room so that later appends do not
 * allocate (for example under a lock).
 * phyr_list_append_pages() appends a page array in one call, writing the
 * entries straight into storage allocated once for the batch.
 *
 * Inside a chunk an entry takes 8 bytes when it can (a page-aligned range
 * of at most 2^16 pages below 2^40 pages, the common case of pinned or
 * buddy-allocated memory) and 16 bytes otherwise; the iterator hides the
 * difference and always yields a &struct phyr. See the storage layout
 * below.
 *
 * Lists are walked with a &struct phyr_iter, in the bio_vec/bvec_iter
 * model: the entries are never modified by iteration; the iterator is a
 * small value holding the position and the number of bytes left, which is
 * copied and advanced by arithmetic. A byte slice of a list is just an
 * iterator limited to that slice (phyr_iter_init_slice()); phyr_list_slice()
 * copies one into a list of its own.
 *
 * A list is not locked internally: the owner serialises appends and frees
 * against each other and against iteration.
 */

/**
 * DOC: phyr list storage
 *
 * A chunk is an array of 64-bit words. Bit 63 of an entry's first word
 * says how long the entry is:
 *
 * ====== ===== =========================================================
 * bit 63 bytes layout
 * ====== ===== =========================================================
 *    1      8  flags in bits 56..62, page count - 1 in bits 40..55, page
 *              frame number in bits 0..39
 *    0     16  first word: length in bits 0..55 and flags in bits 56..62,
 *              as &phyr.len_flags; second word: the address
 * ====== ===== =========================================================
 *
 * A range takes the 8-byte form when its address and length are page
 * aligned, its page frame number fits in 40 bits (2^52 bytes with 4 KiB
 * pages, all of x86-64's physical address space) and it spans at most
 * 2^16 pages (256 MiB with 4 KiB pages). A short entry that grows past
 * that by coalescing is rewritten in the 16-byte form in place, or moved
 * to the next chunk when its own is full. Flags take seven bits in either
 * form, which leaves room for the ``DMA_RANGE_VIA_*`` bits of DMA tables.
 */

#define PHYR_W_SHORT		BIT_ULL(63)
#define PHYR_W_FLAGS		GENMASK_ULL(62, PHYR_LEN_BITS)
#define PHYR_W_PAGES_SHIFT	40
#define PHYR_W_PAGES_BITS	16
#define PHYR_W_PFN		GENMASK_ULL(PHYR_W_PAGES_SHIFT - 1, 0)
#define PHYR_W_FLAGS_MAX	0x7fu

/**
 * phyr_ent_words() - size of a stored entry
 * @w: first word of the entry
 *
 * Return: 1 for the 8-byte form, 2 for the 16-byte form.
 */
static __always_inline unsigned int phyr_ent_words(const u64 *w)
{
	return *w & PHYR_W_SHORT ? 1 : 2;
}

/**
 * phyr_ent_len() - length of a stored entry
 * @w: first word of the entry
 *
 * Return: the length in bytes.
 */
static __always_inline u64 phyr_ent_len(const u64 *w)
{
	if (*w & PHYR_W_SHORT)
		return (((*w >> PHYR_W_PAGES_SHIFT) &
			 (BIT_ULL(PHYR_W_PAGES_BITS) - 1)) + 1) << PAGE_SHIFT;
	return *w & PHYR_MAX_LEN;
}

/**
 * phyr_ent_decode() - read a stored entry
 * @w: first word of the entry
 *
 * Return: the entry as a &struct phyr.
 */
static __always_inline struct phyr phyr_ent_decode(const u64 *w)
{
	if (*w & PHYR_W_SHORT)
		return (struct phyr){
			.addr = (phys_addr_t)(*w & PHYR_W_PFN) << PAGE_SHIFT,
			.len_flags = phyr_ent_len(w) | (*w & PHYR_W_FLAGS),
		};
	return (struct phyr){ .addr = w[1], .len_flags = *w };
}

/**
 * struct phyr_chunk - one link of the storage chain of a phyr list
 * @next: next chunk, or NULL
 * @nr: words in use
 * @cap: words allocated
 * @bytes: total length of the entries in use (seeking skips whole chunks)
 * @words: the entries, one or two words each (see the storage layout)
 *
 * Internal to the list; iterators hold a pointer to the current chunk.
 */
struct phyr_chunk {
	struct phyr_chunk *next;
	u32 nr;
	u32 cap;
	u64 bytes;
	u64 words[] __counted_by(cap);
};

/**
 * struct phyr_list_summary - what holds for every entry of a list
 * @lowest: lowest start address
 * @end: highest end address (start + length)
 * @longest: length of the longest entry
 * @cross: OR over the entries of start ^ last byte: no entry crosses a
 *	multiple of 2^n bytes when bits n and up are all clear
 * @flags: union of the entries' flags
 *
 * Kept by every append, so that a question about the whole list (may a
 * device use these addresses as they are?) is answered without walking
 * it. A slice of the list satisfies whatever the summary says. Meaningless
 * while the list is empty.
 */
struct phyr_list_summary {
	u64 lowest;
	u64 end;
	u64 longest;
	u64 cross;
	unsigned int flags;
};

/**
 * struct phyr_list - a list of physical address ranges
 * @head: first chunk of the storage chain
 * @last: chunk holding the last entry, NULL while the list is empty
 * @tail: last chunk of the chain (pre-allocated chunks follow @last)
 * @last_idx: word index of the last entry in @last
 * @nents: number of entries
 * @spare: entries of any size that can be appended without allocating
 * @len: total length in bytes
 * @sum: facts about every entry (&struct phyr_list_summary)
 *
 * Initialise with phyr_list_init() or %PHYR_LIST_INIT, release with
 * phyr_list_free().
 */
struct phyr_list {
	struct phyr_chunk *head;
	struct phyr_chunk *last;
	struct phyr_chunk *tail;
	u32 last_idx;
	unsigned long nents;
	unsigned long spare;
	u64 len;
	struct phyr_list_summary sum;
};

#define PHYR_LIST_INIT	((struct phyr_list){ })

/**
 * phyr_list_init() - initialise an empty list
 * @l: the list
 */
static inline void phyr_list_init(struct phyr_list *l)
{
	*l = PHYR_LIST_INIT;
}

/**
 * phyr_list_nents() - number of entries in a list
 * @l: the list
 *
 * Return: the number of entries after coalescing.
 */
static inline unsigned long phyr_list_nents(const struct phyr_list *l)
{
	return l->nents;
}

/**
 * phyr_list_length() - total length of a list
 * @l: the list
 *
 * Return: the sum of the entry lengths in bytes.
 */
static inline u64 phyr_list_length(const struct phyr_list *l)
{
	return l->len;
}

/**
 * phyr_list_empty() - test whether a list has no entries
 * @l: the list
 *
 * Return: true if the list is empty.
 */
static inline bool phyr_list_empty(const struct phyr_list *l)
{
	return !l->nents;
}

int phyr_list_reserve(struct phyr_list *l, unsigned long nr, gfp_t gfp);
int phyr_list_append(struct phyr_list *l, phys_addr_t addr, u64 len,
		     unsigned int flags, gfp_t gfp);
int phyr_list_append_pages(struct phyr_list *l, struct page *const *pages,
			   unsigned long n, unsigned int flags, gfp_t gfp);
void phyr_list_free(struct phyr_list *l);
size_t phyr_list_storage(const struct phyr_list *l);

/**
 * struct phyr_iter - position in a phyr list
 * @w: the current entry, or @end when the next chunk holds it
 * @end: the end of the entries of the chunk @w points into
 * @next: the chunk after that one
 * @done: bytes of the current entry already consumed
 * @size: bytes left to iterate
 *
 * A plain value: copy it to remember a position. The iteration is over
 * when @size is zero; the other fields are only meaningful before that.
 * The iterator steps to the next chunk only when it needs an entry from
 * there, so that walking an entry costs no look at the chunk.
 */
struct phyr_iter {
	const u64 *w;
	const u64 *end;
	const struct phyr_chunk *next;
	u64 done;
	u64 size;
};

/**
 * phyr_iter_init() - start iterating over a whole list
 * @l: the list
 * @it: the iterator to set up
 */
static inline void phyr_iter_init(const struct phyr_list *l,
				  struct phyr_iter *it)
{
	*it = (struct phyr_iter){ .next = l->head, .size = l->len };
}

int phyr_iter_init_slice(const struct phyr_list *l, u64 offset, u64 len,
			 struct phyr_iter *it);

/*
 * The current entry of an iterator with bytes left, stepping to the next
 * chunk first if the entries of this one are used up.
 */
static __always_inline const u64 *__phyr_iter_ent(struct phyr_iter *it)
{
	if (unlikely(it->w == it->end)) {
		const struct phyr_chunk *c = it->next;

		it->w = c->words;
		it->end = c->words + c->nr;
		it->next = c->next;
	}
	return it->w;
}

/**
 * phyr_iter_cur() - the range at the iterator position
 * @it: iterator with bytes left
 *
 * Return: the rest of the current entry, clipped to the bytes left in the
 * iteration, with the entry's flags.
 */
static inline struct phyr phyr_iter_cur(const struct phyr_iter *it)
{
	struct phyr p = phyr_ent_decode(it->w != it->end ? it->w :
					it->next->words);
	u64 len = min(phyr_len(&p) - it->done, it->size);

	return (struct phyr){
		.addr = p.addr + it->done,
		.len_flags = len | ((u64)phyr_flags(&p) << PHYR_LEN_BITS),
	};
}

/**
 * phyr_iter_advance() - move an iterator forward
 * @it: the iterator
 * @bytes: number of bytes to skip
 *
 * Advancing past the end is a caller bug: it warns once and stops the
 * iteration at the end.
 */
static inline void phyr_iter_advance(struct phyr_iter *it, u64 bytes)
{
	if (WARN_ONCE(bytes > it->size,
		      "phyr: advancing %llu bytes with %llu left\n",
		      bytes, it->size))
		bytes = it->size;

	it->size -= bytes;
	while (bytes) {
		const u64 *w = __phyr_iter_ent(it);
		u64 left = phyr_ent_len(w) - it->done;

		if (bytes < left) {
			it->done += bytes;
			return;
		}
		bytes -= left;
		it->done = 0;
		it->w += phyr_ent_words(w);
	}
}

/**
 * phyr_iter_next() - take the next range of an iteration
 * @it: the iterator
 * @seg: receives the range (the rest of the current entry, clipped to the
 *	bytes left)
 *
 * The iterator moves past @seg before this returns.
 *
 * Return: true if @seg was filled, false if no bytes were left.
 */
static __always_inline bool phyr_iter_next(struct phyr_iter *it,
					   struct phyr *seg)
{
	const u64 *w;
	struct phyr p;
	u64 len;

	if (!it->size)
		return false;
	/* phyr_iter_cur() and phyr_iter_advance() in one step */
	w = __phyr_iter_ent(it);
	p = phyr_ent_decode(w);
	len = phyr_len(&p) - it->done;
	*seg = p;
	seg->addr += it->done;
	if (len > it->size) {
		/* the iteration ends inside this entry */
		len = it->size;
		it->done += len;
	} else {
		it->done = 0;
		it->w += phyr_ent_words(w);
	}
	it->size -= len;
	seg->len_flags = len | (p.len_flags & ~PHYR_MAX_LEN);
	return true;
}

/**
 * phyr_for_each() - walk the ranges of an iteration
 * @seg: &struct phyr receiving each range (clipped to the iteration)
 * @it: pointer to a &struct phyr_iter set up with phyr_iter_init() or
 *	phyr_iter_init_slice(); it is consumed
 */
#define phyr_for_each(seg, it)	for (; phyr_iter_next((it), &(seg));)

/**
 * struct phyr_cursor - position in a walk over the entries of a whole list
 * @next: the chunk after the one being walked
 * @w: the next entry to read
 * @end: the end of the entries of the chunk being walked
 *
 * Set up by phyr_cursor_init(), walked with phyr_for_each_entry(). Where a
 * &struct phyr_iter keeps the bytes left so that it can stop inside an
 * entry, a cursor only visits whole entries from the first to the last,
 * which makes it the cheaper walk when a caller wants every entry of a list.
 */
struct phyr_cursor {
	const struct phyr_chunk *next;
	const u64 *w;
	const u64 *end;
};

/**
 * phyr_cursor_init() - start a walk over every entry of a list
 * @l: the list
 * @cur: the cursor to set up
 */
static inline void phyr_cursor_init(const struct phyr_list *l,
				    struct phyr_cursor *cur)
{
	*cur = (struct phyr_cursor){ .next = l->head };
}

/**
 * phyr_cursor_next() - take the next entry of a walk over a whole list
 * @cur: the cursor
 * @seg: receives the entry
 *
 * Return: true if @seg was filled, false at the end of the list.
 */
static inline bool phyr_cursor_next(struct phyr_cursor *cur, struct phyr *seg)
{
	if (unlikely(cur->w == cur->end)) {
		const struct phyr_chunk *c = cur->next;

		/* chunks after the last entry's are empty */
		if (!c || !c->nr)
			return false;
		cur->w = c->words;
		cur->end = c->words + c->nr;
		cur->next = c->next;
	}
	*seg = phyr_ent_decode(cur->w);
	cur->w += phyr_ent_words(cur->w);
	return true;
}

/**
 * phyr_for_each_entry() - walk every entry of a list
 * @seg: &struct phyr receiving each entry
 * @cur: pointer to a &struct phyr_cursor set up with phyr_cursor_init(); it
 *	is consumed
 *
 * Visits the entries in order, each whole. To walk a byte slice, or to stop
 * inside an entry, use a &struct phyr_iter and phyr_for_each().
 */
#define phyr_for_each_entry(seg, cur)	for (; phyr_cursor_next((cur), &(seg));)

int phyr_list_slice(struct phyr_list *dst, const struct phyr_list *src,
		    u64 offset, u64 len, gfp_t gfp);

#endif /* __DRM_PHYR_LIST_H__ */
