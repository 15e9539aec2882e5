// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning user memory straight into phyr lists.
 */

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <drm/drm_phyr.h>

/**
 * DOC: Pinning user memory
 *
 * phyr_pin_user() pins a range of the calling process's address space with
 * FOLL_PIN semantics (and FOLL_LONGTERM when asked, which moves pages out
 * of movable zones and CMA first) and describes it as a phyr list. Pages
 * come from pin_user_pages_fast() in batches of one page worth of
 * pointers; runs of consecutive page frames are appended as one range, and
 * the list coalesces runs across batches. Whatever the size of a folio, a
 * physically contiguous range ends up as one entry: a 2 MiB transparent
 * huge page is one entry, a 1 GiB hugetlb page is one entry instead of the
 * 2^18 that a page array or a scatterlist of pages holds.
 *
 * phyr_unpin_user() walks the list and unpins each entry as one range of
 * pages with unpin_user_page_range_dirty_lock(), which drops the pins
 * folio by folio and marks them dirty if asked.
 *
 * A range that lies in one shared hugetlbfs mapping (a memfd made with
 * MFD_HUGETLB, or MAP_SHARED | MAP_HUGETLB) is pinned folio by folio
 * instead, with memfd_pin_folios() on the mapping's file: one pin and one
 * entry per huge page, so pinning a 1 GiB page is one step instead of
 * 2^18 page pointers in 512 batches. Such a pin is released folio by
 * folio with unpin_folio(), since it holds one pin per folio rather than
 * one per page. Other mappings (anonymous memory, private mappings, page
 * cache of other filesystems) take the batched path; 6.12 has no GUP
 * entry point that returns folios for an arbitrary VMA. The list that
 * results is the same either way.
 *
 * With %PHYR_PIN_ACCOUNT the pages are charged to &mm_struct.pinned_vm,
 * the counter that RDMA and io_uring use for long-term pins, and refused
 * with -ENOMEM beyond RLIMIT_MEMLOCK unless the caller has CAP_IPC_LOCK.
 */

#define PHYR_PIN_BATCH	(PAGE_SIZE / sizeof(struct page *))

static int phyr_pin_charge(struct phyr_user_pin *pin)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct mm_struct *mm = current->mm;
	s64 now;

	now = atomic64_add_return(pin->npages, &mm->pinned_vm);
	if (now > limit && !capable(CAP_IPC_LOCK)) {
		atomic64_sub(pin->npages, &mm->pinned_vm);
		return -ENOMEM;
	}
	mmgrab(mm);
	pin->mm = mm;
	return 0;
}

static void phyr_pin_uncharge(struct phyr_user_pin *pin)
{
	if (!pin->mm)
		return;
	atomic64_sub(pin->npages, &pin->mm->pinned_vm);
	mmdrop(pin->mm);
	pin->mm = NULL;
}

/*
 * Unpin every page a list of pinned ranges covers: page by page, or one
 * pin per folio for a list of memfd_pin_folios() pins (@folios).
 */
static void phyr_pin_release_list(struct phyr_list *l, bool folios, bool dirty)
{
	struct phyr_cursor cur;
	struct phyr seg;

	phyr_cursor_init(l, &cur);
	phyr_for_each_entry(seg, &cur) {
		unsigned long pfn = PHYS_PFN(phyr_addr(&seg));
		unsigned long last = PHYS_PFN(phyr_end(&seg) - 1);

		if (!folios) {
			unpin_user_page_range_dirty_lock(pfn_to_page(pfn),
							 last - pfn + 1, dirty);
			continue;
		}
		/* a folio is never split between two entries */
		while (pfn <= last) {
			struct folio *folio = pfn_folio(pfn);

			pfn = folio_pfn(folio) + folio_nr_pages(folio);
			if (dirty)
				set_page_dirty_lock(&folio->page);
			unpin_folio(folio);
		}
	}
	phyr_list_free(l);
}

/*
 * The file of the shared hugetlbfs mapping that holds all of [@start,
 * @end), referenced, and the file offset of @start in @pos; NULL when the
 * range is anywhere else (or the mapping does not allow the access).
 */
static struct file *phyr_pin_hugetlb_file(unsigned long start,
					  unsigned long end, bool write,
					  loff_t *pos)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct file *file = NULL;

	if (mmap_read_lock_killable(mm))
		return NULL;
	vma = vma_lookup(mm, start);
	if (vma && end <= vma->vm_end && vma->vm_file &&
	    is_file_hugepages(vma->vm_file) &&
	    (vma->vm_flags & (VM_SHARED | VM_READ)) == (VM_SHARED | VM_READ) &&
	    (!write || (vma->vm_flags & VM_WRITE)) &&
	    !(vma->vm_flags & (VM_IO | VM_PFNMAP))) {
		file = get_file(vma->vm_file);
		*pos = ((loff_t)vma->vm_pgoff << PAGE_SHIFT) +
		       (start - vma->vm_start);
	}
	mmap_read_unlock(mm);
	return file;
}

/*
 * Pin @len bytes of @file from @pos folio by folio, one entry each (the
 * list merges neighbours). On error what this call pinned is still in
 * the list, for the caller to release.
 */
static int phyr_pin_folios(struct phyr_list *l, struct file *file, loff_t pos,
			   u64 len)
{
	loff_t last = pos + len - 1;
	struct folio **folios;
	u64 left = len;
	int ret = 0;

	folios = kmalloc_array(PHYR_PIN_BATCH, sizeof(*folios), GFP_KERNEL);
	if (!folios)
		return -ENOMEM;
	while (left) {
		pgoff_t off = 0;
		long i, n;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		n = memfd_pin_folios(file, pos, last, folios, PHYR_PIN_BATCH,
				     &off);
		if (n <= 0) {
			/* past the end of the file: what a CPU access gets */
			ret = !n || n == -EINVAL ? -EFAULT : n;
			break;
		}
		for (i = 0; i < n; i++) {
			u64 chunk = min_t(u64, folio_size(folios[i]) - off, left);

			ret = phyr_list_append(l, PFN_PHYS(folio_pfn(folios[i])) + off,
					       chunk, PHYR_IC_HOST | PHYR_F_PINNED,
					       GFP_KERNEL);
			if (ret) {
				unpin_folios(folios + i, n - i);
				goto out;
			}
			pos += chunk;
			left -= chunk;
			off = 0;
		}
		cond_resched();
	}
out:
	kfree(folios);
	return ret;
}

/*
 * Append @n pinned pages; the first one starts @off bytes in and @left is
 * what remains of the range. On error the pages not yet in the list are
 * unpinned here.
 */
static int phyr_pin_append(struct phyr_list *l, struct page **pages,
			   unsigned long n, unsigned int off, u64 *left)
{
	unsigned long i = 0;
	int ret;

	while (i < n) {
		unsigned long pfn = page_to_pfn(pages[i]);
		unsigned long j = i + 1;
		u64 len;

		while (j < n && page_to_pfn(pages[j]) == pfn + (j - i))
			j++;
		len = min_t(u64, ((u64)(j - i) << PAGE_SHIFT) - off, *left);
		ret = phyr_list_append(l, PFN_PHYS(pfn) + off, len,
				       PHYR_IC_HOST | PHYR_F_PINNED,
				       GFP_KERNEL);
		if (ret) {
			unpin_user_pages(pages + i, n - i);
			return ret;
		}
		*left -= len;
		off = 0;
		i = j;
	}
	return 0;
}

/**
 * phyr_pin_user() - pin a user address range into a phyr list
 * @pin: filled on success; released with phyr_unpin_user()
 * @start: start of the range in current's address space (any alignment)
 * @len: length in bytes
 * @flags: PHYR_PIN_* (%PHYR_PIN_WRITE for memory a device writes,
 *	%PHYR_PIN_LONGTERM for pins held indefinitely, %PHYR_PIN_ACCOUNT to
 *	charge RLIMIT_MEMLOCK)
 *
 * The list describes exactly the bytes [@start, @start + @len): one entry
 * per physically contiguous run, flagged %PHYR_IC_HOST | %PHYR_F_PINNED.
 * See "Pinning user memory".
 *
 * Context: process context, current's mm; may sleep.
 * Return: 0; -EINVAL for a zero length, unknown flags or a wrapping
 * range; -EFAULT if part of the range is not mapped or not accessible;
 * -ENOMEM over RLIMIT_MEMLOCK or out of memory; -EINTR on a fatal signal;
 * other errors of pin_user_pages_fast(). Nothing stays pinned on error.
 */
int phyr_pin_user(struct phyr_user_pin *pin, unsigned long start, u64 len,
		  unsigned int flags)
{
	unsigned int gup = 0, off = offset_in_page(start);
	unsigned long addr = start & PAGE_MASK, end, left_pages;
	struct page **pages;
	struct file *file;
	u64 left = len;
	loff_t pos;
	int ret = 0;

	*pin = (struct phyr_user_pin){ .flags = flags };
	/* the last page must not wrap either: PAGE_ALIGN(end) would be 0 */
	if (!len || (flags & ~PHYR_PIN_VALID_MASK) ||
	    check_add_overflow(start, len, &end) || end > PAGE_ALIGN(end))
		return -EINVAL;
	if (!current->mm)
		return -EFAULT;
	if (!access_ok((void __user *)start, len))
		return -EFAULT;

	pin->npages = (PAGE_ALIGN(end) - addr) >> PAGE_SHIFT;
	if (flags & PHYR_PIN_ACCOUNT) {
		ret = phyr_pin_charge(pin);
		if (ret)
			return ret;
	}
	if (flags & PHYR_PIN_WRITE)
		gup |= FOLL_WRITE;
	if (flags & PHYR_PIN_LONGTERM)
		gup |= FOLL_LONGTERM;

	file = phyr_pin_hugetlb_file(start, end, flags & PHYR_PIN_WRITE, &pos);
	if (file) {
		pin->folios = true;
		ret = phyr_pin_folios(&pin->list, file, pos, len);
		fput(file);
		if (ret)
			goto err;
		return 0;
	}

	pages = kmalloc_array(PHYR_PIN_BATCH, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		ret = -ENOMEM;
		goto err;
	}

	left_pages = pin->npages;
	while (left_pages) {
		unsigned long n = min_t(unsigned long, left_pages,
					PHYR_PIN_BATCH);
		long got;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		got = pin_user_pages_fast(addr, n, gup, pages);
		if (got <= 0) {
			ret = got ? got : -EFAULT;
			break;
		}
		ret = phyr_pin_append(&pin->list, pages, got, off, &left);
		if (ret)
			break;
		off = 0;
		addr += got << PAGE_SHIFT;
		left_pages -= got;
		cond_resched();
	}
	kfree(pages);
	if (!ret)
		return 0;
err:
	phyr_pin_release_list(&pin->list, pin->folios, false);
	phyr_pin_uncharge(pin);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(phyr_pin_user, DRM_PHYR);

/**
 * phyr_unpin_user() - unpin what phyr_pin_user() pinned
 * @pin: the pinned range; empty afterwards
 * @dirty: mark the pages dirty first (a device wrote them)
 *
 * Also returns the pages charged to the owning address space, which may
 * have exited by now.
 *
 * Context: may sleep.
 */
void phyr_unpin_user(struct phyr_user_pin *pin, bool dirty)
{
	phyr_pin_release_list(&pin->list, pin->folios, dirty);
	phyr_pin_uncharge(pin);
	pin->npages = 0;
	pin->folios = false;
}
EXPORT_SYMBOL_NS_GPL(phyr_unpin_user, DRM_PHYR);
