// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU access to the ranges of a phyr list, without struct pages.
 */

#include <linux/io.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <drm/drm_phyr.h>

/**
 * DOC: CPU access
 *
 * Some consumers reach memory with the CPU: software RDMA devices copy
 * packets in and out of memory regions, test devices check bytes. A phyr
 * list may describe RAM or a PCI BAR, with or without struct pages, so
 * access cannot go through kmap_local_page(). phyr_cpu_map() maps each
 * range once with memremap(): RAM resolves to the kernel's direct map
 * (no new mapping is made), %PHYR_F_WC ranges get a write-combined
 * mapping, other I/O memory a write-back one. phyr_cpu_copy() then finds
 * the range holding a byte offset by binary search and copies with
 * memcpy(), which is what write-combined memory mapped by memremap()
 * allows on the architectures phyr supports.
 */

struct phyr_cpu_range {
	u64 start;	/* byte offset of the range in the list */
	u64 len;
	void *va;
};

struct phyr_cpu_map {
	unsigned long nr;
	u64 len;
	struct phyr_cpu_range r[] __counted_by(nr);
};

/**
 * phyr_cpu_map() - map every range of a list for CPU access
 * @l: the list; must not change while the map exists
 * @gfp: allocation flags for the map itself
 *
 * Context: process context (memremap() may sleep for MMIO ranges).
 * Return: the map, or an ERR_PTR(): -EINVAL for an empty list, -ENOMEM
 * if a range could not be mapped or memory is short.
 */
struct phyr_cpu_map *phyr_cpu_map(const struct phyr_list *l, gfp_t gfp)
{
	unsigned long n = phyr_list_nents(l), i = 0;
	struct phyr_cpu_map *m;
	struct phyr_iter it;
	struct phyr seg;
	u64 pos = 0;

	if (!n)
		return ERR_PTR(-EINVAL);
	m = kvzalloc(struct_size(m, r, n), gfp);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->nr = n;

	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		unsigned long mode = (phyr_flags(&seg) & PHYR_F_WC) ?
				     MEMREMAP_WC : MEMREMAP_WB;
		void *va = memremap(phyr_addr(&seg), phyr_len(&seg), mode);

		if (!va) {
			m->nr = i;
			phyr_cpu_unmap(m);
			return ERR_PTR(-ENOMEM);
		}
		m->r[i++] = (struct phyr_cpu_range){
			.start = pos, .len = phyr_len(&seg), .va = va,
		};
		pos += phyr_len(&seg);
	}
	m->len = pos;
	return m;
}
EXPORT_SYMBOL_NS_GPL(phyr_cpu_map, DRM_PHYR);

/**
 * phyr_cpu_unmap() - release a map made by phyr_cpu_map()
 * @m: the map, or NULL
 *
 * Context: process context.
 */
void phyr_cpu_unmap(struct phyr_cpu_map *m)
{
	unsigned long i;

	if (!m)
		return;
	for (i = 0; i < m->nr; i++)
		memunmap(m->r[i].va);
	kvfree(m);
}
EXPORT_SYMBOL_NS_GPL(phyr_cpu_unmap, DRM_PHYR);

/**
 * phyr_cpu_map_length() - number of bytes a map covers
 * @m: the map
 *
 * Return: the length of the list it was made from.
 */
u64 phyr_cpu_map_length(const struct phyr_cpu_map *m)
{
	return m->len;
}
EXPORT_SYMBOL_NS_GPL(phyr_cpu_map_length, DRM_PHYR);

static unsigned long phyr_cpu_find(const struct phyr_cpu_map *m, u64 offset)
{
	unsigned long lo = 0, hi = m->nr;

	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (m->r[mid].start <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/**
 * phyr_cpu_copy() - copy between a kernel buffer and mapped ranges
 * @m: the map
 * @offset: byte offset in the list
 * @buf: kernel buffer of @len bytes
 * @len: number of bytes
 * @to_mem: copy @buf into the ranges (true) or the ranges into @buf
 *
 * Context: any; does not sleep.
 * Return: 0, or -EFAULT if [@offset, @offset + @len) is not inside the
 * list (nothing is copied then).
 */
int phyr_cpu_copy(const struct phyr_cpu_map *m, u64 offset, void *buf,
		  u64 len, bool to_mem)
{
	unsigned long i;
	u64 end;

	if (check_add_overflow(offset, len, &end) || end > m->len)
		return -EFAULT;
	if (!len)
		return 0;

	for (i = phyr_cpu_find(m, offset); len; i++) {
		const struct phyr_cpu_range *r = &m->r[i];
		u64 in = offset - r->start;
		u64 n = min(len, r->len - in);

		if (to_mem)
			memcpy(r->va + in, buf, n);
		else
			memcpy(buf, r->va + in, n);
		buf += n;
		offset += n;
		len -= n;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(phyr_cpu_copy, DRM_PHYR);
