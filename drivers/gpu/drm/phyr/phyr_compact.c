// SPDX-License-Identifier: GPL-2.0-only
/*
 * The compact encoding of phyr lists: 8 bytes per page-aligned range.
 */

#include <linux/bitfield.h>
#include <linux/module.h>
#include <linux/pfn.h>

#include <drm/drm_phyr.h>

/**
 * DOC: compact encoding
 *
 * A list can be stored as an array of 64-bit words, 8 bytes for each
 * page-aligned range and 16 bytes for any other. The first word of every
 * entry carries a mode in bits 62..63 and the entry flags in bits 58..61:
 *
 * ==== ======== =========================================================
 * mode   bytes  remaining bits of the first word
 * ==== ======== =========================================================
 *  0       8    pfn in bits 0..39, page count - 1 in bits 40..57:
 *               up to 2^18 pages (1 GiB with 4 KiB pages)
 *  1       8    pfn in bits 0..39, unit count - 1 in bits 40..51, unit
 *               order in bits 52..57: length = units << (order +
 *               PAGE_SHIFT), for page counts that are a multiple of a
 *               power of two with at most 4096 units (a 4 GiB or 64 GiB
 *               range is one entry)
 *  2      16    length in bytes in bits 0..55, bits 56..57 zero; the
 *               second word is the physical address
 *  3            reserved, rejected by phyr_compact_decode()
 * ==== ======== =========================================================
 *
 * A 40-bit pfn reaches 2^52 bytes with 4 KiB pages, all of x86-64's
 * physical address space. A range that is not page aligned, whose pfn does
 * not fit or whose page count fits neither mode 0 nor mode 1 takes mode 2,
 * so every list can be encoded. Decoding appends through
 * phyr_list_append(), which coalesces exactly as the list did when it was
 * built: the round trip gives back the same entries.
 */

#define PHYR_CM_MODE		GENMASK_ULL(63, 62)
#define PHYR_CM_FLAGS_SHIFT	58
#define PHYR_CM_FLAGS		GENMASK_ULL(61, PHYR_CM_FLAGS_SHIFT)
#define PHYR_CM_PFN		GENMASK_ULL(39, 0)
#define PHYR_CM_PAGES		GENMASK_ULL(57, 40)
#define PHYR_CM_UNITS		GENMASK_ULL(51, 40)
#define PHYR_CM_ORDER		GENMASK_ULL(57, 52)
#define PHYR_CM_WIDE_RSVD	GENMASK_ULL(57, 56)
#define PHYR_CM_WIDE_LEN	GENMASK_ULL(PHYR_LEN_BITS - 1, 0)

enum phyr_cm_mode {
	PHYR_CM_MODE_PAGES,
	PHYR_CM_MODE_ORDER,
	PHYR_CM_MODE_WIDE,
};

/* every valid flag bit has a place in the encoding */
static_assert(!(((u64)PHYR_F_VALID_MASK << PHYR_CM_FLAGS_SHIFT) & ~PHYR_CM_FLAGS));

/* Encode one range into @w[0] (and @w[1]); return the words used. */
static unsigned int phyr_cm_encode_one(const struct phyr *p, u64 *w)
{
	u64 flags = FIELD_PREP(PHYR_CM_FLAGS, phyr_flags(p));
	u64 pfn = PHYS_PFN(phyr_addr(p));
	u64 npages = phyr_len(p) >> PAGE_SHIFT;

	if (IS_ALIGNED(phyr_addr(p), PAGE_SIZE) &&
	    IS_ALIGNED(phyr_len(p), PAGE_SIZE) &&
	    pfn <= FIELD_MAX(PHYR_CM_PFN)) {
		unsigned int order = __ffs64(npages);

		if (npages - 1 <= FIELD_MAX(PHYR_CM_PAGES)) {
			w[0] = FIELD_PREP(PHYR_CM_MODE, PHYR_CM_MODE_PAGES) |
			       flags | FIELD_PREP(PHYR_CM_PAGES, npages - 1) |
			       FIELD_PREP(PHYR_CM_PFN, pfn);
			return 1;
		}
		if ((npages >> order) - 1 <= FIELD_MAX(PHYR_CM_UNITS)) {
			w[0] = FIELD_PREP(PHYR_CM_MODE, PHYR_CM_MODE_ORDER) |
			       flags | FIELD_PREP(PHYR_CM_ORDER, order) |
			       FIELD_PREP(PHYR_CM_UNITS, (npages >> order) - 1) |
			       FIELD_PREP(PHYR_CM_PFN, pfn);
			return 1;
		}
	}

	w[0] = FIELD_PREP(PHYR_CM_MODE, PHYR_CM_MODE_WIDE) | flags |
	       FIELD_PREP(PHYR_CM_WIDE_LEN, phyr_len(p));
	w[1] = phyr_addr(p);
	return 2;
}

/**
 * phyr_compact_encode() - encode a list in the compact form
 * @l: the list
 * @buf: destination array, may be NULL to only compute the size
 * @nwords: number of 64-bit words in @buf
 *
 * Return: the number of 64-bit words the encoding takes (written to @buf
 * unless it is NULL), or -ENOSPC if @buf is too small; @buf contents are
 * unspecified then.
 */
ssize_t phyr_compact_encode(const struct phyr_list *l, u64 *buf, size_t nwords)
{
	struct phyr_iter it;
	struct phyr seg;
	size_t n = 0;
	u64 w[2];

	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		unsigned int used = phyr_cm_encode_one(&seg, w);

		if (buf) {
			if (n + used > nwords)
				return -ENOSPC;
			memcpy(&buf[n], w, used * sizeof(*w));
		}
		n += used;
	}
	return n;
}
EXPORT_SYMBOL_NS_GPL(phyr_compact_encode, DRM_PHYR);

/* Decode the entry at @w; return the words used or a negative errno. */
static int phyr_cm_decode_one(const u64 *w, size_t left, struct phyr *p)
{
	unsigned int flags = FIELD_GET(PHYR_CM_FLAGS, w[0]);
	phys_addr_t addr = PFN_PHYS(FIELD_GET(PHYR_CM_PFN, w[0]));
	unsigned int order;
	u64 units;
	int ret;

	switch (FIELD_GET(PHYR_CM_MODE, w[0])) {
	case PHYR_CM_MODE_PAGES:
		ret = phyr_set(p, addr,
			       (FIELD_GET(PHYR_CM_PAGES, w[0]) + 1) << PAGE_SHIFT,
			       flags);
		return ret ? ret : 1;
	case PHYR_CM_MODE_ORDER:
		order = FIELD_GET(PHYR_CM_ORDER, w[0]);
		units = FIELD_GET(PHYR_CM_UNITS, w[0]) + 1;
		/* the length must fit in PHYR_LEN_BITS (and the shift in 64) */
		if (order + PAGE_SHIFT + fls64(units) > PHYR_LEN_BITS)
			return -EINVAL;
		ret = phyr_set(p, addr, units << (order + PAGE_SHIFT), flags);
		return ret ? ret : 1;
	case PHYR_CM_MODE_WIDE:
		if (left < 2 || FIELD_GET(PHYR_CM_WIDE_RSVD, w[0]))
			return -EINVAL;
		ret = phyr_set(p, w[1], FIELD_GET(PHYR_CM_WIDE_LEN, w[0]),
			       flags);
		return ret ? ret : 2;
	default:
		return -EINVAL;
	}
}

/**
 * phyr_compact_decode() - rebuild a list from its compact form
 * @l: empty list to fill
 * @buf: words written by phyr_compact_encode()
 * @nwords: number of words in @buf
 * @gfp: allocation flags
 *
 * Return: 0 on success; -EINVAL if @l is not empty or @buf is malformed (a
 * reserved mode or bit, a truncated entry, a range phyr_check() rejects),
 * -E2BIG or -ENOMEM from phyr_list_append(). On error @l is left empty.
 */
int phyr_compact_decode(struct phyr_list *l, const u64 *buf, size_t nwords,
			gfp_t gfp)
{
	size_t i = 0;
	int ret;

	if (!phyr_list_empty(l))
		return -EINVAL;

	while (i < nwords) {
		struct phyr p;

		ret = phyr_cm_decode_one(&buf[i], nwords - i, &p);
		if (ret < 0)
			goto err_free;
		i += ret;
		ret = phyr_list_append(l, phyr_addr(&p), phyr_len(&p),
				       phyr_flags(&p), gfp);
		if (ret)
			goto err_free;
	}
	return 0;

err_free:
	phyr_list_free(l);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(phyr_compact_decode, DRM_PHYR);
