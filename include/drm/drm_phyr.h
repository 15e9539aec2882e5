/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * phyr: lists of physical address ranges for DRM, dma-buf and RDMA.
 */
#ifndef __DRM_PHYR_H__
#define __DRM_PHYR_H__

#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/dma-buf.h>
#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/gpu_buddy.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

#include <drm/drm_gem.h>

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

/**
 * struct phyr_block_iter - walk a list in aligned device-page blocks
 * @it: position in the list
 * @pgsz: block size, a power of two
 * @addr: physical address of the current block, aligned to @pgsz
 *
 * Set up with phyr_block_iter_start() and advanced with
 * phyr_block_iter_next(), usually through phyr_for_each_block().
 */
struct phyr_block_iter {
	struct phyr_iter it;
	u64 pgsz;
	phys_addr_t addr;
};

struct phyr_block_iter *phyr_block_iter_start(struct phyr_block_iter *bi,
					      const struct phyr_list *l,
					      u64 pgsz);
struct phyr_block_iter *phyr_block_iter_start_at(struct phyr_block_iter *bi,
						 const struct phyr_iter *it,
						 u64 pgsz);
bool phyr_block_iter_next(struct phyr_block_iter *bi);

/**
 * phyr_block_addr() - address of the current block
 * @bi: block iterator after a successful phyr_block_iter_next()
 *
 * Return: the @pgsz-aligned physical address of the block.
 */
static inline phys_addr_t phyr_block_addr(const struct phyr_block_iter *bi)
{
	return bi->addr;
}

/**
 * phyr_for_each_block() - walk a list in aligned blocks of a device page size
 * @l: the list
 * @bi: &struct phyr_block_iter used as the cursor
 * @pgsz: block size, a power of two, typically from phyr_list_best_pgsz()
 */
#define phyr_for_each_block(l, bi, pgsz)				\
	for (struct phyr_block_iter *__bi =				\
		phyr_block_iter_start((bi), (l), (pgsz));		\
	     phyr_block_iter_next(__bi);)

unsigned long phyr_iter_best_pgsz(const struct phyr_iter *it,
				  unsigned long pgsz_bitmap, u64 iova);
unsigned long phyr_list_best_pgsz(const struct phyr_list *l,
				  unsigned long pgsz_bitmap, u64 iova);

/* Pinning user memory */

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

/* CPU access to the ranges of a list */

struct phyr_cpu_map;

struct phyr_cpu_map *phyr_cpu_map(const struct phyr_list *l, gfp_t gfp);
void phyr_cpu_unmap(struct phyr_cpu_map *m);
u64 phyr_cpu_map_length(const struct phyr_cpu_map *m);
int phyr_cpu_copy(const struct phyr_cpu_map *m, u64 offset, void *buf,
		  u64 len, bool to_mem);

/**
 * DOC: DMA range tables
 *
 * Mapping a phyr list for a device gives a &struct dma_range_table: the
 * ranges as the device must address them. A &struct dma_range is a type of
 * its own (a DMA address is not a CPU physical address) but has the layout
 * of &struct phyr, so a table stores its ranges in a &struct phyr_list and
 * shares all of its machinery: chained chunks, iterators, slicing, block
 * iteration and page-size selection. Its flags keep the source entry's
 * interconnect, %PHYR_F_MMIO and %PHYR_F_PINNED bits (%PHYR_F_WC is how the
 * CPU maps the memory) and add, in bits 4..6, how the range was
 * mapped (``DMA_RANGE_VIA_*``).
 *
 * phyr_dma_map() picks the mapping per device and per entry:
 *
 * * Passthrough: every entry of the list is system memory (no peer
 *   interconnect, no %PHYR_F_MMIO, no %PHYR_F_WC) and the DMA core says
 *   that the device reaches the span from the lowest start to the highest
 *   end as it is (dma_map_phys_is_direct(): dma-direct without bus offset
 *   or memory encryption bit, cache coherent, no forced bouncing, within
 *   the DMA mask). The decision reads the list's summary (&struct
 *   phyr_list_summary), never its entries, so it costs the same for one
 *   page and for 2^20: the table aliases the input list, nothing is
 *   allocated and no per-page work is done. Entries longer than the
 *   device's segment limit or across its segment boundary are cut into
 *   pieces while the table is walked (&dma_range_table.piece); the rest of
 *   the list is unaffected. The input list must stay unchanged and alive
 *   until phyr_dma_unmap(). With CONFIG_DMA_API_DEBUG each piece is also
 *   mapped with dma_map_page_attrs() (which must return the same address)
 *   so that the DMA-API debug code sees and checks it.
 * * IOMMU: when dma-iommu translates for the device, the device is cache
 *   coherent and every range is system memory whose joins fall on IOMMU
 *   page boundaries, the whole slice lands in one IOVA range: one
 *   dma_iova_try_alloc(), a dma_iova_link() per range and one
 *   dma_iova_sync() (the two-step IOVA interface of Linux 6.16, which
 *   ``patches/0006`` gives 6.12). The table holds one entry, flagged with
 *   what all source ranges have in common, and nothing of the input:
 *   phyr_dma_unmap() needs the table alone (dma_iova_destroy()). Where the
 *   DMA core gives no IOVA range (a device that needs swiotlb bouncing, an
 *   untrusted one) the slice is mapped range by range as below.
 * * Otherwise each system-memory range is mapped with dma_map_page_attrs()
 *   in pieces (see below; an IOVA each under an
 *   IOMMU when peer ranges are mixed in, a bounce buffer or a bus offset
 *   without one): one table entry per piece, so unmapping repeats exactly
 *   what was mapped.
 * * Ranges flagged %PHYR_IC_P2P, %PHYR_IC_DEVICE or %PHYR_F_MMIO that lie in
 *   a PCI BAR are peer-to-peer, one part per BAR (ranges of two BARs back
 *   to back coalesce in a list). The P2PDMA core decides for the BAR's
 *   device and the mapping device (pci_p2pdma_map_type_of(), with ACS
 *   redirect and the host bridge allowlist): a path below a common switch
 *   gives the PCI bus address (%DMA_RANGE_VIA_BUS, no mapping call); a
 *   path through the host bridge maps with dma_map_resource()
 *   (%DMA_RANGE_VIA_HOST_BRIDGE); no path fails the map with -EOPNOTSUPP.
 *   Under dma-iommu, a slice that is all peer memory reached through the
 *   host bridge is linked into one IOVA range instead, as MMIO
 *   (DMA_ATTR_MMIO): one %DMA_RANGE_VIA_HOST_BRIDGE entry per attachment
 *   rather than an IOVA per range.
 *
 * Pieces: a range longer than the device takes in one segment
 * (dma_get_max_seg_size(), at most 4 GiB - 1, and dma_max_mapping_size())
 * is split in pieces of the largest power of two below that limit, so that
 * every piece but the last of a range starts on an aligned boundary; no
 * piece crosses a multiple of the segment boundary, counted in the
 * device's addresses. Outside the IOMMU path each piece is one entry.
 */

#define DMA_RANGE_VIA_SHIFT		4
#define DMA_RANGE_VIA_MASK		(0x7u << DMA_RANGE_VIA_SHIFT)
/* identity mapping: the DMA address is the physical address */
#define DMA_RANGE_VIA_DIRECT		(0x0u << DMA_RANGE_VIA_SHIFT)
/* dma_map_page_attrs(): IOVA, bounce buffer or bus offset */
#define DMA_RANGE_VIA_PAGE		(0x1u << DMA_RANGE_VIA_SHIFT)
/* peer-to-peer by PCI bus address, below a common switch */
#define DMA_RANGE_VIA_BUS		(0x2u << DMA_RANGE_VIA_SHIFT)
/* peer-to-peer through the host bridge: dma_map_resource() */
#define DMA_RANGE_VIA_HOST_BRIDGE	(0x3u << DMA_RANGE_VIA_SHIFT)
/* one IOVA range for the whole slice: dma_iova_try_alloc() and links */
#define DMA_RANGE_VIA_IOMMU		(0x4u << DMA_RANGE_VIA_SHIFT)
/* a GPU-to-GPU link address declared by the exporter; no mapping call */
#define DMA_RANGE_VIA_LINK		(0x5u << DMA_RANGE_VIA_SHIFT)
/* taken over from an exporter's mapped scatterlist; the exporter unmaps */
#define DMA_RANGE_VIA_SG		(0x6u << DMA_RANGE_VIA_SHIFT)

/*
 * The source flags a DMA range keeps: how the CPU maps the memory
 * (%PHYR_F_WC) is no business of the device, and its bit carries the
 * ``DMA_RANGE_VIA_*`` value in a table.
 */
#define DMA_RANGE_SRC_MASK	(PHYR_IC_MASK | PHYR_F_MMIO | PHYR_F_PINNED)
static_assert(!(DMA_RANGE_SRC_MASK & DMA_RANGE_VIA_MASK));
static_assert(((DMA_RANGE_SRC_MASK | DMA_RANGE_VIA_MASK) & ~PHYR_W_FLAGS_MAX) == 0);

/**
 * struct dma_range - one range of a DMA mapping
 * @addr: DMA address as the device uses it
 * @len_flags: length in bits 0..55, flags in bits 56..63, as in
 *	&struct phyr; use dma_range_len() and dma_range_flags()
 */
struct dma_range {
	dma_addr_t addr;
	u64 len_flags;
};

/**
 * dma_range_len() - length of a DMA range
 * @r: the range
 *
 * Return: the length in bytes.
 */
static inline u64 dma_range_len(const struct dma_range *r)
{
	return r->len_flags & PHYR_MAX_LEN;
}

/**
 * dma_range_flags() - flags of a DMA range
 * @r: the range
 *
 * Return: the source entry's interconnect and attribute bits and the
 * ``DMA_RANGE_VIA_*`` value.
 */
static inline unsigned int dma_range_flags(const struct dma_range *r)
{
	return r->len_flags >> PHYR_LEN_BITS;
}

/**
 * dma_range_via() - how a DMA range was mapped
 * @r: the range
 *
 * Return: one of the ``DMA_RANGE_VIA_*`` values.
 */
static inline unsigned int dma_range_via(const struct dma_range *r)
{
	return dma_range_flags(r) & DMA_RANGE_VIA_MASK;
}

struct device;
struct sg_table;

/**
 * struct dma_range_table - a phyr list mapped for a device
 * @ranges: the DMA ranges, unless @alias is set
 * @alias: passthrough: the mapped list, whose ranges are the DMA ranges
 * @offset: byte offset of the mapped slice in @alias
 * @len: number of bytes mapped
 * @dev: the device the table was mapped for
 * @dir: DMA direction of the mapping
 * @attrs: DMA attributes of the mapping
 * @iova: IOMMU path: the one IOVA range the slice was linked into
 * @src_sgt: a table taken over from an exporter's scatterlist: synced
 *	through it (with @dir), never unmapped here
 * @piece: passthrough and IOMMU paths: entries are cut into pieces of at
 *	most this many bytes (a power of two) within @boundary while the
 *	table is walked; 0 when no entry needs cutting
 * @boundary: the device's segment boundary mask, with @piece
 * @debug_mapped: passthrough: the pieces were also mapped through the DMA
 *	API for CONFIG_DMA_API_DEBUG, and are unmapped the same way
 *
 * Filled by phyr_dma_map(), released by phyr_dma_unmap().
 */
struct dma_range_table {
	struct phyr_list ranges;
	const struct phyr_list *alias;
	u64 offset;
	u64 len;
	struct device *dev;
	enum dma_data_direction dir;
	unsigned long attrs;
	struct dma_iova_state iova;
	struct sg_table *src_sgt;
	u64 piece;
	u64 boundary;
	bool debug_mapped;
};

/**
 * struct dma_range_iter - position in a DMA range table
 * @it: position in the underlying storage
 * @piece: longest range to yield, 0 for whole entries (see
 *	&dma_range_table.piece)
 * @boundary: segment boundary mask the yielded ranges stay within
 */
struct dma_range_iter {
	struct phyr_iter it;
	u64 piece;
	u64 boundary;
};

/**
 * dma_range_piece_len() - length of the next piece of a long range
 * @dma: device address the piece starts at
 * @left: bytes left in the range
 * @max: longest piece the device takes
 * @mask: the device's segment boundary mask (dma_get_seg_boundary())
 *
 * Return: at most @max bytes, not across a multiple of @mask + 1.
 */
static inline u64 dma_range_piece_len(u64 dma, u64 left, u64 max, u64 mask)
{
	u64 n = min(left, max);
	u64 room = (dma | mask) - dma + 1;	/* 0: up to the end of it all */

	return room && room < n ? room : n;
}

/**
 * dma_range_table_is_alias() - test whether a table aliases its input
 * @t: the table
 *
 * Return: true if @t was mapped by passthrough and owns no storage.
 */
static inline bool dma_range_table_is_alias(const struct dma_range_table *t)
{
	return t->alias;
}

/**
 * dma_range_table_length() - total length of a table
 * @t: the table
 *
 * Return: the number of bytes mapped.
 */
static inline u64 dma_range_table_length(const struct dma_range_table *t)
{
	return t->len;
}

/**
 * dma_range_iter_init() - start iterating over a table
 * @t: the table
 * @it: the iterator to set up
 */
static inline void dma_range_iter_init(const struct dma_range_table *t,
				       struct dma_range_iter *it)
{
	it->piece = t->piece;
	it->boundary = t->boundary;
	if (t->alias)
		WARN_ON_ONCE(phyr_iter_init_slice(t->alias, t->offset, t->len,
						  &it->it));
	else
		phyr_iter_init(&t->ranges, &it->it);
}

/**
 * dma_range_iter_next() - take the next range of a table
 * @it: the iterator
 * @r: receives the range
 *
 * Return: true if @r was filled, false at the end of the table.
 */
static inline bool dma_range_iter_next(struct dma_range_iter *it,
				       struct dma_range *r)
{
	struct phyr seg;
	u64 len;

	if (!it->it.size)
		return false;
	seg = phyr_iter_cur(&it->it);
	len = phyr_len(&seg);
	if (it->piece)
		len = dma_range_piece_len(seg.addr, len, it->piece,
					  it->boundary);
	/* same layout; an aliased entry's flags say DMA_RANGE_VIA_DIRECT */
	*r = (struct dma_range){
		.addr = seg.addr,
		.len_flags = len | ((u64)phyr_flags(&seg) << PHYR_LEN_BITS),
	};
	phyr_iter_advance(&it->it, len);
	return true;
}

/**
 * dma_range_for_each() - walk the ranges of a table
 * @r: &struct dma_range receiving each range
 * @it: pointer to a &struct dma_range_iter set up by dma_range_iter_init()
 */
#define dma_range_for_each(r, it)	for (; dma_range_iter_next((it), &(r));)

unsigned long dma_range_table_nents(const struct dma_range_table *t);
unsigned long dma_range_table_best_pgsz(const struct dma_range_table *t,
					unsigned long pgsz_bitmap, u64 iova);
struct phyr_block_iter *dma_range_block_start(struct phyr_block_iter *bi,
					      const struct dma_range_table *t,
					      u64 pgsz);

/**
 * dma_range_for_each_block() - walk a table in aligned device-page blocks
 * @t: the table
 * @bi: &struct phyr_block_iter used as the cursor; phyr_block_addr() gives
 *	the DMA address of each block
 * @pgsz: block size, a power of two, e.g. from dma_range_table_best_pgsz()
 */
#define dma_range_for_each_block(t, bi, pgsz)				\
	for (struct phyr_block_iter *__bi =				\
		dma_range_block_start((bi), (t), (pgsz));		\
	     phyr_block_iter_next(__bi);)

int phyr_dma_map(struct device *dev, const struct phyr_list *l, u64 offset,
		 u64 len, enum dma_data_direction dir, unsigned long attrs,
		 struct dma_range_table *t);
void phyr_dma_unmap(struct dma_range_table *t);
void phyr_dma_sync_for_cpu(const struct dma_range_table *t);
void phyr_dma_sync_for_device(const struct dma_range_table *t);

struct sg_table *dma_range_table_to_sgt(const struct dma_range_table *t,
					gfp_t gfp);
void dma_range_free_sgt(struct sg_table *sgt);
int dma_range_table_from_sgt(struct dma_range_table *t, struct device *dev,
			     const struct sg_table *sgt, unsigned int flags);

/**
 * DOC: DRM helpers
 *
 * What a GPU driver calls to hand out its memory as phyr lists.
 *
 * A &struct drm_phyr_region is a range of physical memory without struct
 * pages, typically a PCI BAR of VRAM, with the interconnect kind its
 * entries carry. Allocations in it come from a &struct gpu_buddy allocator;
 * each allocation is a phyr list whose entries are the allocated blocks in
 * address order, adjacent blocks coalesced.
 *
 * A &struct drm_phyr_gem_object is a GEM object whose backing store is a
 * phyr list: blocks of a region (VRAM) or pages of system memory. CPU
 * mappings insert PFNs (write-combined for VRAM) and never touch a struct
 * page; kernel mappings use vmap_pfn(). drm_phyr_gem_evict() moves an
 * object from VRAM to system memory under its reservation lock, in the
 * order that loses no write: importers get move_notify and CPU mappings
 * are zapped first, then the contents are copied, then the new placement
 * is published; faults wait for the reservation lock and map the new one.
 * A mapping reaches an importer only once the kernel fences of the
 * reservation object have signalled.
 *
 * When the device goes away, drm_phyr_gem_revoke_region() revokes every
 * object of its region: importers are told to move and cannot map again
 * (-ENODEV), CPU mappings fault with SIGBUS. The memory stays allocated,
 * and the driver keeps its BAR reserved, until the last user is gone.
 *
 * Exported objects use &drm_phyr_gem_dmabuf_ops, which implement the
 * dma-buf range operations (&dma_buf_ops.map_dma_ranges, a patch to the
 * dma-buf core in ``patches/``). An importer that calls
 * drm_phyr_attachment_map() gets, through dma_buf_map_attachment_ranges()
 * and with the core's locking, pinning and fence rules, a &struct
 * dma_range_table mapped for its device straight from the object's list
 * (peer-to-peer decided per entry by phyr_dma_map(), link addresses for a
 * device the region is linked to). Any other importer gets, through
 * dma_buf_map_attachment(), a scatterlist whose entries carry DMA addresses
 * only (no struct pages, as amdgpu and xe hand out VRAM). An attachment
 * that cannot do peer-to-peer (not allowed by the importer, or
 * pci_p2pdma_distance() says no) makes the object migrate to system memory
 * first, as amdgpu does; if it is pinned in VRAM the map fails with
 * -EOPNOTSUPP.
 *
 * drm_phyr_attachment_map() works on any dma-buf: exporters with range
 * operations (phyr GEM objects, udmabuf) fill the table themselves; with
 * the others (vgem, dma-heaps) it maps the attachment the usual way and
 * turns the scatterlist's DMA addresses into a table (%DMA_RANGE_VIA_SG).
 *
 * Locking: the object's backing store may only be looked at or changed
 * with its reservation lock (&drm_gem_object.resv) held. The allocator of a
 * region has its own mutex, taken inside the reservation lock.
 */

/**
 * struct drm_phyr_region - device memory managed by the phyr helpers
 * @dev: the device the memory belongs to
 * @base: CPU physical address of the first byte
 * @size: size in bytes
 * @flags: phyr flags of every entry allocated here (interconnect, MMIO)
 * @lock: protects @mm, @link_peer, @link_base, @objects and @revoked
 * @mm: the buddy allocator, in offsets from @base
 * @link_peer: a device linked to this one by a GPU-to-GPU link, or NULL;
 *	the region holds a reference on it
 * @link_base: where @link_peer sees @base over the link
 * @objects: the GEM objects created with this region
 *	(&drm_phyr_gem_object.region_node)
 * @revoked: the device is gone: drm_phyr_gem_revoke_region() ran
 * @wc: the range has a write-combining memtype reservation
 */
struct drm_phyr_region {
	struct device *dev;
	phys_addr_t base;
	u64 size;
	unsigned int flags;
	struct mutex lock;	/* protects mm, link_*, objects and revoked */
	struct gpu_buddy mm;
	struct device *link_peer;
	u64 link_base;
	struct list_head objects;
	bool revoked;
	bool wc;
};

/**
 * struct drm_phyr_region_mem - memory allocated in a region
 * @region: the region
 * @blocks: the &struct gpu_buddy_block s, linked through their @link
 * @list: the same memory as a phyr list, in address order
 */
struct drm_phyr_region_mem {
	struct drm_phyr_region *region;
	struct list_head blocks;
	struct phyr_list list;
};

struct pci_dev;

int drm_phyr_region_init(struct drm_phyr_region *r, struct device *dev,
			 phys_addr_t base, u64 size, unsigned int flags);
int drm_phyr_region_init_bar(struct drm_phyr_region *r, struct pci_dev *pdev,
			     int bar);
void drm_phyr_region_fini(struct drm_phyr_region *r);
int drm_phyr_region_alloc(struct drm_phyr_region *r, u64 size,
			  struct drm_phyr_region_mem *a);
void drm_phyr_region_free(struct drm_phyr_region_mem *a);
u64 drm_phyr_region_used(struct drm_phyr_region *r);
int drm_phyr_region_link(struct drm_phyr_region *r, struct device *peer,
			 u64 link_base);
void drm_phyr_region_unlink(struct drm_phyr_region *r);
bool drm_phyr_region_linked_to(struct drm_phyr_region *r, struct device *dev,
			       u64 *link_base);

/**
 * enum drm_phyr_placement - where the backing store of an object lives
 * @DRM_PHYR_PLACE_SYSTEM: system memory pages
 * @DRM_PHYR_PLACE_VRAM: blocks of the object's region
 */
enum drm_phyr_placement {
	DRM_PHYR_PLACE_SYSTEM = 1,
	DRM_PHYR_PLACE_VRAM,
};

struct drm_phyr_backing;

/**
 * struct drm_phyr_gem_object - a GEM object backed by a phyr list
 * @base: the GEM object
 * @region: region for %DRM_PHYR_PLACE_VRAM, NULL for system memory only
 * @backing: the current backing store (reservation lock)
 * @pin_count: pins by attachments and kernel mappings (reservation lock);
 *	a pinned object does not move
 * @vmap_count: users of @vaddr (reservation lock)
 * @vaddr: kernel mapping while @vmap_count is not zero
 * @vmap_io: @vaddr maps I/O memory (no struct pages, write-combined)
 * @dmabuf: the dma-buf exported for the object while it exists
 *	(reservation lock); further exports return it again
 * @generation: number of moves so far (reservation lock)
 * @userptr: the backing store is pinned user memory
 *	(drm_phyr_gem_create_userptr()); it never moves
 * @region_node: link in the region's list of objects (region lock)
 * @revoked: the region's device is gone (drm_phyr_region_revoke()); the
 *	object is no longer mapped for anyone (reservation lock)
 */
struct drm_phyr_gem_object {
	struct drm_gem_object base;
	struct drm_phyr_region *region;
	struct drm_phyr_backing *backing;
	unsigned int pin_count;
	unsigned int vmap_count;
	void *vaddr;
	bool vmap_io;
	struct dma_buf *dmabuf;
	u32 generation;
	bool userptr;
	struct list_head region_node;
	bool revoked;
};

/**
 * to_drm_phyr_gem() - upcast a GEM object
 * @obj: a GEM object created by drm_phyr_gem_create()
 *
 * Return: the &struct drm_phyr_gem_object containing @obj.
 */
static inline struct drm_phyr_gem_object *
to_drm_phyr_gem(struct drm_gem_object *obj)
{
	return container_of(obj, struct drm_phyr_gem_object, base);
}

struct drm_phyr_gem_object *
drm_phyr_gem_create(struct drm_device *dev, struct drm_phyr_region *region,
		    size_t size, enum drm_phyr_placement place);
struct drm_phyr_gem_object *
drm_phyr_gem_create_userptr(struct drm_device *dev, unsigned long addr,
			    size_t size);
bool drm_phyr_gem_is_phyr(const struct drm_gem_object *obj);
const struct phyr_list *drm_phyr_gem_list(struct drm_phyr_gem_object *pobj);
enum drm_phyr_placement
drm_phyr_gem_placement(struct drm_phyr_gem_object *pobj);
int drm_phyr_gem_evict(struct drm_phyr_gem_object *pobj);
void drm_phyr_gem_revoke_region(struct drm_phyr_region *r);
struct dma_buf *drm_phyr_gem_prime_export(struct drm_gem_object *obj,
					  int flags);

extern const struct dma_buf_ops drm_phyr_gem_dmabuf_ops;

/**
 * struct drm_phyr_attachment - an importer's view of a dma-buf attachment
 * @attach: the attachment
 * @table: the DMA ranges while @mapped
 * @sgt: the exporter's scatterlist, for an exporter without range tables
 * @backing: the phyr exporter's backing store, for @phys
 * @dir: direction of the mapping
 * @mapped: @table (or the list, for @phys) is valid
 * @phys: mapped by drm_phyr_attachment_map_phys(): no DMA mapping
 * @ranges: @table came from the exporter through
 *	dma_buf_map_attachment_ranges()
 *
 * Set up with drm_phyr_attachment_init(), mapped and unmapped with the
 * dma-buf's reservation lock held.
 */
struct drm_phyr_attachment {
	struct dma_buf_attachment *attach;
	struct dma_range_table table;
	struct sg_table *sgt;
	struct drm_phyr_backing *backing;
	enum dma_data_direction dir;
	bool mapped;
	bool phys;
	bool ranges;
};

void drm_phyr_attachment_init(struct drm_phyr_attachment *pa,
			      struct dma_buf_attachment *attach);
int drm_phyr_attachment_map(struct drm_phyr_attachment *pa,
			    enum dma_data_direction dir);
void drm_phyr_attachment_unmap(struct drm_phyr_attachment *pa);
int drm_phyr_attachment_map_phys(struct drm_phyr_attachment *pa,
				 const struct phyr_list **list);

/* RDMA umem feed */

struct phyr_umem;

/**
 * struct phyr_umem_ops - what the owner of a dma-buf umem is told
 * @invalidate: the exporter is moving the buffer. The driver must stop
 *	using the addresses it took from the umem (zap its page tables, fail
 *	further accesses) before returning; the umem's mapping is released
 *	right after. Called with the dma-buf's reservation lock held.
 */
struct phyr_umem_ops {
	void (*invalidate)(struct phyr_umem *umem, void *priv);
};

#define PHYR_UMEM_WRITE		BIT(0)	/* the device writes the memory */

/**
 * struct phyr_umem - memory an RDMA device accesses: pinned user pages or
 *	an imported dma-buf, mapped for the device
 * @dev: the importing device
 * @length: number of bytes
 * @access: PHYR_UMEM_* flags
 * @cpu: @dev reaches memory with the CPU (no DMA mask, as software RDMA
 *	devices): the umem is described by @list and accessed through
 *	phyr_umem_copy() instead of a DMA mapping
 * @pin: user memory: the pinned pages
 * @dmabuf: dma-buf memory: the buffer, NULL for user memory
 * @attach: dma-buf memory: the attachment
 * @pa: dma-buf memory: the importer state of @attach
 * @offset: dma-buf memory: offset of the first byte in the buffer
 * @ops: dma-buf memory: the owner's callbacks; NULL for a pinned attachment
 * @priv: argument for @ops
 * @list: the umem's ranges while @mapped: DMA ranges for @dev, or CPU
 *	physical ranges for a @cpu umem
 * @table: user memory: the pinned pages mapped for @dev (not for @cpu)
 * @mapped: @list (and @table) may be used
 * @lock: protects @cpu_map and @mapped against invalidation
 * @cpu_map: @cpu: kernel mappings of @list while @mapped
 * @invalidations: number of times the exporter moved the buffer
 */
struct phyr_umem {
	struct device *dev;
	u64 length;
	unsigned int access;
	bool cpu;
	struct phyr_user_pin pin;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct drm_phyr_attachment pa;
	u64 offset;
	const struct phyr_umem_ops *ops;
	void *priv;
	struct phyr_list list;
	struct dma_range_table table;
	bool mapped;
	spinlock_t lock;	/* see @lock above */
	struct phyr_cpu_map *cpu_map;
	unsigned int invalidations;
};

struct phyr_umem *phyr_umem_get_user(struct device *dev, unsigned long addr,
				     u64 len, unsigned int access);
struct phyr_umem *phyr_umem_get_dmabuf(struct device *dev,
				       struct dma_buf *dmabuf, u64 offset,
				       u64 len, unsigned int access,
				       const struct phyr_umem_ops *ops,
				       void *priv);
struct phyr_umem *phyr_umem_get_dmabuf_fd(struct device *dev, int fd,
					  u64 offset, u64 len,
					  unsigned int access,
					  const struct phyr_umem_ops *ops,
					  void *priv);
void phyr_umem_release(struct phyr_umem *umem);
int phyr_umem_map(struct phyr_umem *umem);
unsigned long phyr_umem_best_pgsz(struct phyr_umem *umem,
				  unsigned long pgsz_bitmap, u64 virt);
struct phyr_block_iter *phyr_umem_block_start(struct phyr_block_iter *bi,
					      struct phyr_umem *umem,
					      unsigned long pgsz);
int phyr_umem_copy(struct phyr_umem *umem, u64 offset, void *buf, u64 len,
		   bool to_umem);

/**
 * phyr_umem_for_each_block() - walk a mapped umem in device-page blocks
 * @umem: the umem, mapped
 * @bi: &struct phyr_block_iter used as the cursor; phyr_block_addr() gives
 *	the DMA address of each block (the physical address for a CPU umem)
 * @pgsz: block size, from phyr_umem_best_pgsz()
 */
#define phyr_umem_for_each_block(umem, bi, pgsz)			\
	for (struct phyr_block_iter *__bi =				\
		phyr_umem_block_start((bi), (umem), (pgsz));		\
	     phyr_block_iter_next(__bi);)

#endif /* __DRM_PHYR_H__ */
