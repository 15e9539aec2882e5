// SPDX-License-Identifier: GPL-2.0-only
/*
 * debugfs benchmark: pinning a range of user memory into a phyr list
 * versus pinning it into a page array described by a scatterlist.
 */

#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_phyr.h>

#include "phyr_selftest.h"

/**
 * DOC: Pin benchmark
 *
 * A process writes ``ADDR LEN LABEL`` to ``phyr/pin_bench`` in debugfs:
 * a range of its own address space (numbers in C notation, decimal or
 * ``0x`` hexadecimal; any alignment; at most 4 GiB) and a label of up to
 * 31 printable characters. In the context of that process the kernel pins
 * the range best of five times along each of two paths, unpinning it after
 * each round:
 *
 * - phyr: phyr_pin_user() with %PHYR_PIN_WRITE | %PHYR_PIN_LONGTERM, then
 *   phyr_unpin_user();
 * - sg: pin_user_pages_fast() with FOLL_WRITE | FOLL_LONGTERM in batches
 *   of one page worth of pointers into a kvmalloc'd page array, then
 *   sg_alloc_table_from_pages_segment() with the largest segment a
 *   scatterlist entry holds, as RDMA's ib_umem does; then sg_free_table()
 *   and unpin_user_pages().
 *
 * Only pinning and describing are timed: phyr_pin_user() as a whole, and
 * for sg the allocation of the page array, the pinning and the building
 * of the table. Bytes of description are the chunks of the phyr list and,
 * for sg, the scatterlist entries including the ones spent on chaining;
 * the page array the sg path needs on the way is counted separately.
 *
 * The write returns once both paths ran; writing a label again replaces
 * its line. Reading the file prints one line per label (the columns are
 * named in the header). Errors: -EINVAL for malformed input, a zero
 * length, a range that wraps or leaves the user address space; -E2BIG for
 * a length over 4 GiB; -ENOSPC when %PHYR_PIN_BENCH_MAX labels are taken;
 * otherwise what pinning returned (-EFAULT for unmapped memory).
 */

#define PHYR_PIN_BENCH_MAX	16	/* labels kept */
#define PHYR_PIN_BENCH_LABEL	32	/* label size, NUL included */
#define PHYR_PIN_BENCH_INPUT	128	/* longest accepted write */
#define PHYR_PIN_BENCH_REPEAT	5	/* best of */
#define PHYR_PIN_BENCH_BATCH	(PAGE_SIZE / sizeof(struct page *))

/**
 * struct phyr_pin_bench_path - the best round of one path
 * @ns: time to pin and describe the range
 * @nents: entries describing it (list entries or scatterlist entries)
 * @links: scatterlist entries spent on chaining (sg only)
 * @bytes: storage of the description
 * @array: bytes of the page array needed on the way (sg only)
 */
struct phyr_pin_bench_path {
	u64 ns;
	unsigned long nents;
	unsigned long links;
	u64 bytes;
	u64 array;
};

/**
 * struct phyr_pin_bench_result - one line of the table
 * @label: what the writer called the range
 * @len: length of the range in bytes
 * @npages: pages it spans
 * @phyr: best round of phyr_pin_user()
 * @sg: best round of the page array and scatterlist
 */
struct phyr_pin_bench_result {
	char label[PHYR_PIN_BENCH_LABEL];
	u64 len;
	unsigned long npages;
	struct phyr_pin_bench_path phyr;
	struct phyr_pin_bench_path sg;
};

/* Serialises the runs (so that they do not skew each other) and the table. */
static DEFINE_MUTEX(phyr_pin_bench_lock);
static struct phyr_pin_bench_result phyr_pin_bench_results[PHYR_PIN_BENCH_MAX];
static unsigned int phyr_pin_bench_count;

/*
 * Entries a scatterlist spends on chaining its arrays together: walk the
 * arrays as laid out in memory, one chain entry ends each full array.
 */
static unsigned long phyr_pin_bench_sg_links(struct scatterlist *sg)
{
	unsigned long links = 0;

	while (!sg_is_last(sg)) {
		sg++;
		if (sg_is_chain(sg)) {
			links++;
			sg = sg_chain_ptr(sg);
		}
	}
	return links;
}

static int phyr_pin_bench_phyr(unsigned long start, u64 len,
			       struct phyr_pin_bench_path *res)
{
	struct phyr_user_pin pin;
	u64 t0;
	int ret;

	t0 = ktime_get_ns();
	ret = phyr_pin_user(&pin, start, len,
			    PHYR_PIN_WRITE | PHYR_PIN_LONGTERM);
	if (ret)
		return ret;
	res->ns = ktime_get_ns() - t0;
	res->nents = phyr_list_nents(&pin.list);
	res->links = 0;
	res->bytes = phyr_list_storage(&pin.list);
	res->array = 0;
	phyr_unpin_user(&pin, false);
	return 0;
}

static int phyr_pin_bench_sg(unsigned long start, u64 len,
			     unsigned long npages,
			     struct phyr_pin_bench_path *res)
{
	unsigned long addr = start & PAGE_MASK, done = 0;
	struct page **pages;
	struct sg_table sgt;
	u64 t0;
	int ret;

	t0 = ktime_get_ns();
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	while (done < npages) {
		unsigned long n = min_t(unsigned long, npages - done,
					PHYR_PIN_BENCH_BATCH);
		long got;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto unpin;
		}
		got = pin_user_pages_fast(addr + (done << PAGE_SHIFT), n,
					  FOLL_WRITE | FOLL_LONGTERM,
					  pages + done);
		if (got <= 0) {
			ret = got ? got : -EFAULT;
			goto unpin;
		}
		done += got;
		cond_resched();
	}
	/* npages is at most 4 GiB / PAGE_SIZE + 1: it fits the count */
	ret = sg_alloc_table_from_pages_segment(&sgt, pages, npages,
						offset_in_page(start), len,
						UINT_MAX, GFP_KERNEL);
	if (ret)
		goto unpin;
	res->ns = ktime_get_ns() - t0;
	res->nents = sgt.orig_nents;
	res->links = phyr_pin_bench_sg_links(sgt.sgl);
	res->bytes = (u64)(sgt.orig_nents + res->links) *
		     sizeof(struct scatterlist);
	res->array = (u64)npages * sizeof(*pages);
	sg_free_table(&sgt);
unpin:
	unpin_user_pages(pages, done);
	kvfree(pages);
	return ret;
}

/* Both paths best of PHYR_PIN_BENCH_REPEAT, alternating. */
static int phyr_pin_bench_run(unsigned long start, u64 len,
			      struct phyr_pin_bench_result *res)
{
	unsigned long first = start & PAGE_MASK;
	unsigned int r;
	int ret;

	res->len = len;
	res->npages = (PAGE_ALIGN(start + len) - first) >> PAGE_SHIFT;
	res->phyr.ns = U64_MAX;
	res->sg.ns = U64_MAX;
	for (r = 0; r < PHYR_PIN_BENCH_REPEAT; r++) {
		struct phyr_pin_bench_path x;

		ret = phyr_pin_bench_phyr(start, len, &x);
		if (ret)
			return ret;
		if (x.ns < res->phyr.ns)
			res->phyr = x;
		ret = phyr_pin_bench_sg(start, len, res->npages, &x);
		if (ret)
			return ret;
		if (x.ns < res->sg.ns)
			res->sg = x;
		cond_resched();
	}
	return 0;
}

/*
 * Split "ADDR LEN LABEL" into its values. Numbers follow kstrtoul()'s
 * base 0; a length too large for a u64 is just as well over 4 GiB.
 */
static int phyr_pin_bench_parse(char *buf, unsigned long *start, u64 *len,
				char *label)
{
	char *tok[3], *p = strim(buf);
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(tok); i++) {
		if (!p)
			return -EINVAL;
		p = skip_spaces(p);
		tok[i] = strsep(&p, " \t\n");
		if (!*tok[i])
			return -EINVAL;
	}
	if (p && *skip_spaces(p))
		return -EINVAL;

	if (kstrtoul(tok[0], 0, start))
		return -EINVAL;
	ret = kstrtou64(tok[1], 0, len);
	if (ret)
		return ret == -ERANGE ? -E2BIG : -EINVAL;

	if (strlen(tok[2]) >= PHYR_PIN_BENCH_LABEL)
		return -EINVAL;
	for (p = tok[2]; *p; p++)
		if (!isgraph(*p))
			return -EINVAL;
	strscpy(label, tok[2], PHYR_PIN_BENCH_LABEL);
	return 0;
}

/* Store a result under its label, replacing an earlier one. */
static int phyr_pin_bench_store(const struct phyr_pin_bench_result *res)
{
	unsigned int i;

	for (i = 0; i < phyr_pin_bench_count; i++)
		if (!strcmp(phyr_pin_bench_results[i].label, res->label))
			break;
	if (i == PHYR_PIN_BENCH_MAX)
		return -ENOSPC;
	phyr_pin_bench_results[i] = *res;
	if (i == phyr_pin_bench_count)
		phyr_pin_bench_count++;
	return 0;
}

static ssize_t phyr_pin_bench_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct phyr_pin_bench_result *res;
	char buf[PHYR_PIN_BENCH_INPUT];
	unsigned long start, end;
	u64 len;
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (strlen(buf) != count)
		return -EINVAL;

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	ret = phyr_pin_bench_parse(buf, &start, &len, res->label);
	if (ret)
		goto out;
	if (!len) {
		ret = -EINVAL;
		goto out;
	}
	if (len > SZ_4G) {
		ret = -E2BIG;
		goto out;
	}
	if (check_add_overflow(start, (unsigned long)len, &end) ||
	    !access_ok((void __user *)start, len) ||
	    PAGE_ALIGN(end) < end) {
		ret = -EINVAL;
		goto out;
	}

	ret = mutex_lock_killable(&phyr_pin_bench_lock);
	if (ret)
		goto out;
	ret = phyr_pin_bench_run(start, len, res);
	if (!ret)
		ret = phyr_pin_bench_store(res);
	mutex_unlock(&phyr_pin_bench_lock);
out:
	kfree(res);
	if (ret)
		return ret;
	return count;
}

/* @num / @den with three decimals, as "I.FFF" from an integer in 1/1000 */
static void phyr_pin_bench_ratio(struct seq_file *m, u64 num, u64 den)
{
	u64 milli = div64_u64(num * 1000, max_t(u64, den, 1));

	seq_printf(m, " %8llu.%03llu", div_u64(milli, 1000), milli % 1000);
}

static int phyr_pin_bench_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	seq_printf(m, "# pin benchmark: best of %d per path, write + longterm pins; time: pin + describe\n",
		   PHYR_PIN_BENCH_REPEAT);
	seq_puts(m, "# phyr: phyr_pin_user(); bytes: the list's chunks\n");
	seq_printf(m, "# sg: page array (kvmalloc, timed), pin_user_pages_fast() %lu pages at a time, sg_alloc_table_from_pages_segment(max segment UINT_MAX); bytes: entries + chain links; array: the page array\n",
		   PHYR_PIN_BENCH_BATCH);
	seq_printf(m, "# %-20s %11s %8s %9s %10s %11s %9s %8s %10s %10s %11s %12s %12s %12s\n",
		   "label", "bytes", "pages", "phyr_ents", "phyr_bytes",
		   "phyr_ns", "sg_ents", "sg_links", "sg_bytes", "array",
		   "sg_ns", "bytes_ratio", "+array_ratio", "time_ratio");

	mutex_lock(&phyr_pin_bench_lock);
	for (i = 0; i < phyr_pin_bench_count; i++) {
		const struct phyr_pin_bench_result *r =
			&phyr_pin_bench_results[i];

		seq_printf(m, "%-22s %11llu %8lu %9lu %10llu %11llu %9lu %8lu %10llu %10llu %11llu",
			   r->label, r->len, r->npages, r->phyr.nents,
			   r->phyr.bytes, r->phyr.ns, r->sg.nents,
			   r->sg.links, r->sg.bytes, r->sg.array, r->sg.ns);
		phyr_pin_bench_ratio(m, r->phyr.bytes, r->sg.bytes);
		phyr_pin_bench_ratio(m, r->phyr.bytes,
				     r->sg.bytes + r->sg.array);
		phyr_pin_bench_ratio(m, r->phyr.ns, r->sg.ns);
		seq_putc(m, '\n');
	}
	mutex_unlock(&phyr_pin_bench_lock);
	return 0;
}

static int phyr_pin_bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, phyr_pin_bench_show, inode->i_private);
}

static const struct file_operations phyr_pin_bench_fops = {
	.owner = THIS_MODULE,
	.open = phyr_pin_bench_open,
	.read = seq_read,
	.write = phyr_pin_bench_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * phyr_pin_bench_register() - create the pin benchmark's debugfs file
 * @dir: the phyr debugfs directory
 *
 * See "Pin benchmark".
 */
void phyr_pin_bench_register(struct dentry *dir)
{
	debugfs_create_file("pin_bench", 0600, dir, NULL,
			    &phyr_pin_bench_fops);
}
