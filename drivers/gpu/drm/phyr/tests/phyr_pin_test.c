// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for pinning user memory into phyr lists, CPU access to
 * ranges, and user-memory umems.
 *
 * The test thread gets an address space of its own from kunit_vm_mmap().
 * The model of what a pin must describe is built independently: every
 * page of the range is pinned once more on its own and its physical
 * address compared with the byte at the same offset of the list.
 */

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kunit/device.h>
#include <kunit/test.h>

#include <drm/drm_phyr.h>

#define PIN_PAGES	64

static unsigned long pin_test_mmap(struct kunit *test, unsigned long len,
				   unsigned long prot)
{
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, len, prot,
					   MAP_PRIVATE | MAP_ANONYMOUS, 0);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "mmap: %ld",
			       (long)addr);
	return addr;
}

/* Fill user memory with a byte pattern seeded by @seed; faults it in. */
static void pin_test_fill(struct kunit *test, unsigned long addr, size_t len,
			  u8 seed)
{
	u8 *buf = kunit_kmalloc(test, len, GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < len; i++)
		buf[i] = seed + i * 7 + (i >> 12);
	KUNIT_ASSERT_EQ(test, 0, copy_to_user((void __user *)addr, buf, len));
	kunit_kfree(test, buf);
}

/* Physical address of the user byte at @addr, by a pin of its own. */
static phys_addr_t pin_test_model_phys(struct kunit *test, unsigned long addr)
{
	struct page *page;
	phys_addr_t phys;

	KUNIT_ASSERT_EQ(test, 1, pin_user_pages_fast(addr & PAGE_MASK, 1, 0,
						     &page));
	phys = page_to_phys(page) + offset_in_page(addr);
	unpin_user_page(page);
	return phys;
}

/* The list describes exactly [addr, addr + len), byte for byte. */
static void pin_test_expect_model(struct kunit *test,
				  const struct phyr_list *l,
				  unsigned long addr, u64 len)
{
	phys_addr_t prev_end = 0;
	struct phyr_iter it;
	struct phyr seg;
	u64 off = 0;

	KUNIT_EXPECT_EQ(test, phyr_list_length(l), len);
	phyr_iter_init(l, &it);
	phyr_for_each(seg, &it) {
		u64 in = 0;

		KUNIT_EXPECT_EQ(test, phyr_flags(&seg),
				PHYR_IC_HOST | PHYR_F_PINNED);
		/* coalesced: no two neighbours are physically adjacent */
		KUNIT_EXPECT_NE(test, phyr_addr(&seg), prev_end);
		prev_end = phyr_end(&seg);
		while (in < phyr_len(&seg)) {
			unsigned long ua = addr + off + in;

			KUNIT_EXPECT_EQ(test, phyr_addr(&seg) + in,
					pin_test_model_phys(test, ua));
			in += PAGE_SIZE - offset_in_page(ua);
		}
		off += phyr_len(&seg);
	}
	KUNIT_EXPECT_EQ(test, off, len);
}

static void phyr_pin_matches_pages(struct kunit *test)
{
	unsigned long len = PIN_PAGES * PAGE_SIZE;
	unsigned long addr = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	struct phyr_user_pin pin;

	pin_test_fill(test, addr, len, 1);
	KUNIT_ASSERT_EQ(test, 0, phyr_pin_user(&pin, addr, len,
					       PHYR_PIN_WRITE |
					       PHYR_PIN_LONGTERM));
	KUNIT_EXPECT_EQ(test, pin.npages, PIN_PAGES);
	KUNIT_EXPECT_LE(test, phyr_list_nents(&pin.list), PIN_PAGES);
	pin_test_expect_model(test, &pin.list, addr, len);
	phyr_unpin_user(&pin, false);
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pin.list));
}

static void phyr_pin_unaligned(struct kunit *test)
{
	unsigned long len = 8 * PAGE_SIZE;
	unsigned long addr = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	unsigned long start = addr + 100;
	u64 plen = 3 * PAGE_SIZE + 50;
	struct phyr_user_pin pin;
	struct phyr_iter it;
	struct phyr seg;

	pin_test_fill(test, addr, len, 2);
	KUNIT_ASSERT_EQ(test, 0, phyr_pin_user(&pin, start, plen, 0));
	/* 100 bytes into the first page, 150 bytes into the fifth */
	KUNIT_EXPECT_EQ(test, pin.npages, 4);
	phyr_iter_init(&pin.list, &it);
	KUNIT_ASSERT_TRUE(test, phyr_iter_next(&it, &seg));
	KUNIT_EXPECT_EQ(test, offset_in_page(phyr_addr(&seg)), 100);
	pin_test_expect_model(test, &pin.list, start, plen);
	phyr_unpin_user(&pin, false);
}

static void phyr_pin_errors(struct kunit *test)
{
	unsigned long len = 4 * PAGE_SIZE;
	unsigned long rw = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	unsigned long ro = pin_test_mmap(test, len, PROT_READ);
	struct phyr_user_pin pin;

	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_pin_user(&pin, rw, 0, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL, phyr_pin_user(&pin, rw, len, BIT(7)));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			phyr_pin_user(&pin, ULONG_MAX - 100, 200, 0));
	/* a kernel address, and a user page nobody mapped */
	KUNIT_EXPECT_EQ(test, -EFAULT,
			phyr_pin_user(&pin, (unsigned long)&pin, 8, 0));
	KUNIT_EXPECT_EQ(test, -EFAULT, phyr_pin_user(&pin, PAGE_SIZE, 8, 0));
	/* writing a read-only mapping is refused, reading is fine */
	KUNIT_EXPECT_EQ(test, -EFAULT,
			phyr_pin_user(&pin, ro, len, PHYR_PIN_WRITE));
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pin.list));
	KUNIT_ASSERT_EQ(test, 0, phyr_pin_user(&pin, ro, len, 0));
	KUNIT_EXPECT_EQ(test, phyr_list_length(&pin.list), len);
	phyr_unpin_user(&pin, false);
	/* partly mapped: nothing stays pinned */
	vm_munmap(rw + 2 * PAGE_SIZE, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, -EFAULT, phyr_pin_user(&pin, rw, len, 0));
	KUNIT_EXPECT_TRUE(test, phyr_list_empty(&pin.list));
}

static void phyr_pin_account(struct kunit *test)
{
	unsigned long len = 16 * PAGE_SIZE;
	unsigned long addr = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	struct mm_struct *mm = current->mm;
	struct phyr_user_pin pin;
	s64 before;

	pin_test_fill(test, addr, len, 3);
	before = atomic64_read(&mm->pinned_vm);
	KUNIT_ASSERT_EQ(test, 0, phyr_pin_user(&pin, addr, len,
					       PHYR_PIN_ACCOUNT));
	KUNIT_EXPECT_PTR_EQ(test, pin.mm, mm);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mm->pinned_vm), before + 16);
	phyr_unpin_user(&pin, false);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mm->pinned_vm), before);
	KUNIT_EXPECT_NULL(test, pin.mm);

	/* without the flag nothing is charged */
	KUNIT_ASSERT_EQ(test, 0, phyr_pin_user(&pin, addr, len, 0));
	KUNIT_EXPECT_EQ(test, atomic64_read(&mm->pinned_vm), before);
	phyr_unpin_user(&pin, false);
}

/* Bytes written through the CPU map of a pin land in the user pages. */
static void phyr_pin_cpu_copy(struct kunit *test)
{
	unsigned long len = PIN_PAGES * PAGE_SIZE;
	unsigned long addr = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	u8 *src = kunit_kmalloc(test, len, GFP_KERNEL);
	u8 *dst = kunit_kzalloc(test, len, GFP_KERNEL);
	struct phyr_user_pin pin;
	struct phyr_cpu_map *m;
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	pin_test_fill(test, addr, len, 4);
	KUNIT_ASSERT_EQ(test, 0, phyr_pin_user(&pin, addr, len,
					       PHYR_PIN_WRITE));
	m = phyr_cpu_map(&pin.list, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(m));
	KUNIT_EXPECT_EQ(test, phyr_cpu_map_length(m), len);

	for (i = 0; i < len; i++)
		src[i] = 0xa5 ^ (i * 13);
	/* across page and range boundaries, at odd offsets */
	KUNIT_EXPECT_EQ(test, 0, phyr_cpu_copy(m, 0, src, 1, true));
	KUNIT_EXPECT_EQ(test, 0, phyr_cpu_copy(m, 1, src + 1, len - 1, true));
	KUNIT_EXPECT_EQ(test, 0, copy_from_user(dst, (void __user *)addr, len));
	KUNIT_EXPECT_EQ(test, 0, memcmp(src, dst, len));

	memset(dst, 0, len);
	KUNIT_EXPECT_EQ(test, 0, phyr_cpu_copy(m, PAGE_SIZE - 3, dst,
					       3 * PAGE_SIZE, false));
	KUNIT_EXPECT_EQ(test, 0, memcmp(src + PAGE_SIZE - 3, dst,
					3 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -EFAULT, phyr_cpu_copy(m, len - 1, dst, 2, false));
	KUNIT_EXPECT_EQ(test, -EFAULT, phyr_cpu_copy(m, U64_MAX, dst, 2, true));
	KUNIT_EXPECT_EQ(test, 0, phyr_cpu_copy(m, len, dst, 0, false));

	phyr_cpu_unmap(m);
	phyr_unpin_user(&pin, true);
	KUNIT_EXPECT_TRUE(test, IS_ERR(phyr_cpu_map(&pin.list, GFP_KERNEL)));
}

/* A software device (no DMA mask) reaches a user umem with the CPU. */
static void phyr_umem_user_cpu(struct kunit *test)
{
	unsigned long len = PIN_PAGES * PAGE_SIZE;
	unsigned long addr = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	struct device *dev = kunit_device_register(test, "phyr-umem-cpu");
	u8 *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	u8 *user = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct phyr_block_iter bi;
	struct phyr_umem *umem;
	unsigned long n = 0;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, user);
	dev->dma_mask = NULL;
	pin_test_fill(test, addr, len, 5);

	umem = phyr_umem_get_user(dev, addr, len, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	KUNIT_EXPECT_TRUE(test, umem->cpu);
	KUNIT_EXPECT_EQ(test, phyr_umem_copy(umem, 0, buf, 8, true), -EACCES);
	phyr_umem_release(umem);

	umem = phyr_umem_get_user(dev, addr, len, PHYR_UMEM_WRITE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	pin_test_expect_model(test, &umem->list, addr, len);
	memset(buf, 0x3c, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0, phyr_umem_copy(umem, 5 * PAGE_SIZE + 9, buf,
						PAGE_SIZE, true));
	KUNIT_EXPECT_EQ(test, 0, copy_from_user(user, (void __user *)(addr +
						5 * PAGE_SIZE + 9), PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0, memcmp(buf, user, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -EFAULT, phyr_umem_copy(umem, len, buf, 1, false));

	/* 4 KiB blocks: one per page, at the pages' physical addresses */
	KUNIT_EXPECT_EQ(test, phyr_umem_best_pgsz(umem, PAGE_SIZE, addr),
			PAGE_SIZE);
	phyr_umem_for_each_block(umem, &bi, PAGE_SIZE) {
		KUNIT_EXPECT_EQ(test, phyr_block_addr(&bi),
				pin_test_model_phys(test, addr + n * PAGE_SIZE));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, PIN_PAGES);
	/* a device page smaller than the CPU's cannot describe it */
	KUNIT_EXPECT_EQ(test, phyr_umem_best_pgsz(umem, 512, addr), 0);
	phyr_umem_release(umem);
}

/* A DMA device gets the pinned pages mapped; dma-direct aliases them. */
static void phyr_umem_user_dma(struct kunit *test)
{
	unsigned long len = PIN_PAGES * PAGE_SIZE;
	unsigned long addr = pin_test_mmap(test, len, PROT_READ | PROT_WRITE);
	struct device *dev = kunit_device_register(test, "phyr-umem-dma");
	struct mm_struct *mm = current->mm;
	struct phyr_block_iter bi;
	struct phyr_umem *umem;
	unsigned long n = 0;
	s64 before;

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	KUNIT_ASSERT_EQ(test, 0, dma_coerce_mask_and_coherent(dev,
							      DMA_BIT_MASK(64)));
	pin_test_fill(test, addr, len, 6);
	before = atomic64_read(&mm->pinned_vm);

	umem = phyr_umem_get_user(dev, addr, len, PHYR_UMEM_WRITE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	KUNIT_EXPECT_FALSE(test, umem->cpu);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mm->pinned_vm), before + PIN_PAGES);
	KUNIT_EXPECT_EQ(test, phyr_list_length(&umem->list), len);
	KUNIT_EXPECT_EQ(test, phyr_umem_copy(umem, 0, &n, 1, false),
			-EOPNOTSUPP);
	phyr_umem_for_each_block(umem, &bi, PAGE_SIZE) {
		phys_addr_t phys = pin_test_model_phys(test,
						       addr + n * PAGE_SIZE);

		KUNIT_EXPECT_EQ(test, phyr_block_addr(&bi),
				(phys_addr_t)phys_to_dma(dev, phys));
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, PIN_PAGES);
	phyr_umem_release(umem);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mm->pinned_vm), before);

	KUNIT_EXPECT_EQ(test, PTR_ERR(phyr_umem_get_user(dev, addr, 0, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(phyr_umem_get_user(dev, addr, len, 8)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(phyr_umem_get_user(NULL, addr, len, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(phyr_umem_get_user(dev, PAGE_SIZE, len,
							 0)), -EFAULT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&mm->pinned_vm), before);
}

static struct kunit_case phyr_pin_cases[] = {
	KUNIT_CASE(phyr_pin_matches_pages),
	KUNIT_CASE(phyr_pin_unaligned),
	KUNIT_CASE(phyr_pin_errors),
	KUNIT_CASE(phyr_pin_account),
	KUNIT_CASE(phyr_pin_cpu_copy),
	KUNIT_CASE(phyr_umem_user_cpu),
	KUNIT_CASE(phyr_umem_user_dma),
	{}
};

static struct kunit_suite phyr_pin_suite = {
	.name = "phyr_pin",
	.test_cases = phyr_pin_cases,
};

kunit_test_suite(phyr_pin_suite);
