#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Summarise phyr VM results directories written by vm.sh.

usage: results.py DIR [DIR...]
       results.py --selftest

For every directory:
  * kunit/*.ktap   KTAP from /sys/kernel/debug/kunit/<suite>/results
  * *.results      one case per line: "PASS name", "FAIL name",
                   "SKIP name reason" (written by guest.d hooks)
  * dmesg.txt      kernel splats (console.log if dmesg.txt is missing;
                   console lines after the init's "done" are scanned too)
  * kmemleak.txt   unreferenced objects, one splat per distinct backtrace
  * done           marker written by the guest init as its last step

Only leaf results count as cases: the parameters of a parameterised KUnit
test count one each (the parent does not), and suite result lines only
count (as a failure) for a suite that failed without any case results.
Every splat counts as one failure, and so does a directory without its done
marker, a test-mode directory without any cases, and a guest.d hook that
exited nonzero.

The last line printed is always "N passed, N failed"; the exit status is
0 iff nothing failed.
"""

import io
import os
import re
import sys
import tempfile

TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RESULT_RE = re.compile(r'^(not ok|ok)\s+(\d+)(?:\s+-)?(?:\s+(.*))?$')
SKIP_RE = re.compile(r'\s*#\s*SKIP\b\s*(.*)$', re.IGNORECASE)
SUBTEST_RE = re.compile(r'^#\s*Subtest:\s*(.*)$')


def strip_timestamp(line):
    return TIMESTAMP_RE.sub('', line.rstrip('\r\n'), count=1)


class Case:
    def __init__(self, suite, name, status, reason=''):
        self.suite = suite
        self.name = name        # suite.case or suite.case.param
        self.status = status    # 'pass', 'fail' or 'skip'
        self.reason = reason


def parse_ktap(text, default_suite):
    """Return the leaf cases of one KUnit KTAP document.

    A result line is a leaf when no deeper-indented result line appeared
    since the previous result line at the same or a lower depth, i.e. when
    the result line just before it is not deeper.  Result lines without
    indentation are suite results and are not cases; such a line only
    counts (as a failure) when it is "not ok" with no cases under it, e.g.
    a suite whose init failed.
    """
    cases = []
    headers = {}        # indent -> name from "# Subtest:" at that indent
    prev_indent = None  # indent of the previous result line
    for raw in text.splitlines():
        line = strip_timestamp(raw).expandtabs(4)
        body = line.lstrip(' ')
        if not body:
            continue
        indent = len(line) - len(body)
        m = SUBTEST_RE.match(body)
        if m:
            headers[indent] = m.group(1).strip()
            continue
        m = RESULT_RE.match(body)
        if not m:
            continue
        ok, desc = m.group(1) == 'ok', (m.group(3) or '').strip()
        reason = ''
        skip = SKIP_RE.search(desc)
        if skip:
            reason = skip.group(1).strip()
            desc = desc[:skip.start()].strip()
        leaf = prev_indent is None or prev_indent <= indent
        prev_indent = indent
        # This line closes every subtest nested deeper than itself.
        for d in [d for d in headers if d > indent]:
            del headers[d]
        if indent == 0:
            if leaf and not ok:
                suite = desc or default_suite
                cases.append(Case(suite, '%s (suite failed without case '
                                  'results)' % suite, 'fail'))
            continue
        if not leaf:
            continue
        path = [headers[d] for d in sorted(headers) if d <= indent]
        if not path:
            path = [default_suite]
        name = '.'.join(path + [desc or 'case-%s' % m.group(2)])
        status = 'skip' if skip else ('pass' if ok else 'fail')
        cases.append(Case(path[0], name, status, reason))
    return cases


def parse_results_file(text, suite):
    """Parse "PASS name" / "FAIL name" / "SKIP name reason" lines."""
    cases, bad = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 2)
        word = parts[0].upper()
        if word not in ('PASS', 'FAIL', 'SKIP') or len(parts) < 2:
            bad.append(line)
            continue
        reason = parts[2] if len(parts) > 2 else ''
        cases.append(Case(suite, '%s.%s' % (suite, parts[1]),
                          {'PASS': 'pass', 'FAIL': 'fail', 'SKIP': 'skip'}[word],
                          reason))
    return cases, bad


# Kernel splats: (kind, pattern), matched against a line with its printk
# timestamp removed; the first matching pattern names the kind.  Anchored
# at the start of the line so that informational messages such as
# "RETBleed: WARNING: ..." do not count.
SPLAT_PATTERNS = [(k, re.compile(p)) for k, p in [
    ('soft lockup', r'^\s*watchdog: BUG: soft lockup'),
    ('hard lockup', r'^\s*watchdog: .*hard LOCKUP'),
    ('KASAN', r'^\s*BUG: KASAN:'),
    ('sleep in atomic', r'^\s*BUG: sleeping function called'),
    ('kernel BUG', r'^\s*kernel BUG at'),
    ('general protection fault', r'^\s*(Oops: )?general protection fault'),
    ('Oops', r'^\s*Oops\b'),
    ('BUG', r'^\s*BUG:'),
    ('lockdep', r'^\s*WARNING: (possible circular locking|possible recursive '
                r'locking|inconsistent lock state|bad unlock balance|held lock '
                r'freed|possible irq lock inversion|.*lock order detected)'),
    ('RCU', r'^\s*WARNING: suspicious RCU usage'),
    ('lockdep', r'^\s*(possible recursive locking|inconsistent lock state)'),
    ('WARNING', r'^\s*WARNING:'),
    ('UBSAN', r'^\s*UBSAN:'),
    # dma-debug errors are "DMA-API: <driver> <device>: <what>"; its
    # informational lines ("preallocated ...") do not have that shape.
    ('DMA-API', r'^\s*DMA-API: (\S+ \S+: |.*out of memory|.*ENOMEM)'),
    ('hung task', r'^\s*INFO: task .* blocked'),
    ('RCU stall', r'^\s*rcu: INFO: .* detected stalls'),
    ('Kernel panic', r'^\s*Kernel panic'),
]]
CUT_HERE_RE = re.compile(r'-+\[ cut here \]-+')
END_TRACE_RE = re.compile(r'---\[ end trace')
KMEMLEAK_DMESG_RE = re.compile(r'kmemleak: (\d+) new suspected memory leaks')
# A second pattern match this many lines after the start of a splat, with
# no end-of-trace in between, belongs to the same report (e.g. "kernel BUG
# at" followed by "Oops: invalid opcode", or "DMA-API: ..." followed by
# its "WARNING: CPU: ..." line).
FOLD_LINES = 8
# A "Kernel panic" this close after a report is that report's consequence.
PANIC_FOLD_LINES = 40


class Splat:
    def __init__(self, kind, first, lineno):
        self.kind = kind
        self.first = first
        self.lineno = lineno
        self.also = []
        self.detail = []


def scan_splats(text):
    """Return the kernel splats found in dmesg/console text."""
    splats = []
    cur = None          # splat still open for folding
    cur_closed = True
    last_line = -10**9  # last line belonging to the latest splat
    kmemleak_lines = []
    for n, raw in enumerate(text.splitlines()):
        line = strip_timestamp(raw).rstrip()
        if CUT_HERE_RE.search(line):
            cur_closed = True
            continue
        if END_TRACE_RE.search(line):
            if cur is not None and not cur_closed:
                last_line = n
            cur_closed = True
            continue
        m = KMEMLEAK_DMESG_RE.search(line)
        if m:
            kmemleak_lines.append(line.strip())
            continue
        kind = next((k for k, p in SPLAT_PATTERNS if p.search(line)), None)
        if kind is None:
            continue
        if cur is not None and not cur_closed and n - cur.lineno <= FOLD_LINES:
            cur.also.append(line.strip())
            last_line = n
            continue
        if (kind == 'Kernel panic' and cur is not None and
                n - last_line <= PANIC_FOLD_LINES):
            cur.also.append(line.strip())
            last_line = n
            continue
        cur = Splat(kind, line.strip(), n)
        cur_closed = False
        last_line = n
        splats.append(cur)
    return splats, kmemleak_lines


def scan_kmemleak(text):
    """Group kmemleak's unreferenced objects by backtrace.

    Returns a list of (count, first object line, backtrace lines)."""
    groups = {}
    order = []
    obj, trace, in_trace = None, [], False

    def flush():
        if obj is None:
            return
        key = tuple(re.sub(r'\+0x[0-9a-f]+/0x[0-9a-f]+', '', f) for f in trace)
        if key not in groups:
            groups[key] = [0, obj, list(trace)]
            order.append(key)
        groups[key][0] += 1

    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith('unreferenced object'):
            flush()
            obj, trace, in_trace = line, [], False
        elif obj is not None and re.match(r'^\s+backtrace\b', line):
            in_trace = True
        elif obj is not None and in_trace and line.startswith('    '):
            trace.append(line.strip())
        else:
            in_trace = False
    flush()
    return [tuple(groups[k]) for k in order]


def read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return None


def dir_mode(d):
    mode = (read(os.path.join(d, 'mode')) or '').strip()
    if mode:
        return mode
    m = re.search(r'\bphyr_mode=(\S+)', read(os.path.join(d, 'cmdline')) or '')
    if m:
        return m.group(1)
    return 'test' if os.path.isdir(os.path.join(d, 'kunit')) else 'unknown'


class DirResult:
    def __init__(self, path):
        self.path = path
        self.label = os.path.basename(os.path.realpath(path)) or path
        self.mode = dir_mode(path)
        self.suites = []     # (suite, [Case])
        self.splats = []
        self.problems = []   # other failures, one line each
        self.notes = []


def kunit_files(d):
    kdir = os.path.join(d, 'kunit')
    if not os.path.isdir(kdir):
        return []
    return sorted(os.path.join(kdir, f) for f in os.listdir(kdir)
                  if f.endswith('.ktap'))


def results_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith('.results'))


def analyse_dir(d):
    r = DirResult(d)
    if not os.path.isdir(d):
        r.problems.append('no such results directory')
        return r

    console = read(os.path.join(d, 'console.log'))
    for f in kunit_files(d):
        suite = os.path.basename(f)[:-len('.ktap')]
        r.suites.append((suite, parse_ktap(read(f) or '', suite)))
    if not r.suites and console and 'KTAP version 1' in console:
        # The guest did not get to copy the debugfs results (e.g. it
        # crashed): fall back to the KTAP printed on the console at boot.
        cases = parse_ktap(console, 'kunit')
        if cases:
            r.notes.append('no kunit/*.ktap, KUnit results taken from console.log')
        for c in cases:
            if not r.suites or r.suites[-1][0] != c.suite:
                r.suites.append((c.suite, []))
            r.suites[-1][1].append(c)
    for f in results_files(d):
        suite = os.path.basename(f)[:-len('.results')]
        cases, bad = parse_results_file(read(f) or '', suite)
        r.suites.append((suite, cases))
        for line in bad[:5]:
            r.notes.append('%s: unparsed line: %s' % (os.path.basename(f), line))

    status = read(os.path.join(d, 'guest.d.status'))
    for line in (status or '').splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] != '0':
            r.problems.append('guest.d hook %s exited with status %s' %
                              (parts[0], parts[1]))

    dmesg = read(os.path.join(d, 'dmesg.txt'))
    text = dmesg
    if text is None:
        text = console or ''
        r.notes.append('dmesg.txt missing, scanned console.log')
    elif console:
        # Messages after the init collected dmesg.txt (shutdown) only
        # reach the console.
        lines = console.splitlines()
        done = [i for i, l in enumerate(lines) if 'phyr-init: done' in l]
        if done:
            text += '\n' + '\n'.join(lines[done[-1] + 1:])
    r.splats, kml_dmesg = scan_splats(text)

    kml = read(os.path.join(d, 'kmemleak.txt'))
    groups = scan_kmemleak(kml or '')
    for count, obj, trace in groups:
        s = Splat('kmemleak', '%d unreferenced object(s) like: %s' % (count, obj), 0)
        s.detail = trace[:8]
        r.splats.append(s)
    if kml_dmesg and not groups:
        for line in kml_dmesg:
            r.splats.append(Splat('kmemleak', line, 0))

    if not os.path.exists(os.path.join(d, 'done')):
        r.problems.append('no done marker: guest did not finish')
    ncases = sum(len(c) for _, c in r.suites)
    if r.mode == 'test' and ncases == 0:
        r.problems.append('no test cases found (test mode)')
    return r


def report(dirs, out=sys.stdout):
    """Print the summary; return (passed, failed)."""
    results = [analyse_dir(d) for d in dirs]
    passed = failed = 0
    failed_lines, skipped_lines = [], []
    for r in results:
        print('== %s (%s, mode %s)' % (r.label, r.path, r.mode), file=out)
        for suite, cases in r.suites:
            p = sum(c.status == 'pass' for c in cases)
            f = sum(c.status == 'fail' for c in cases)
            s = sum(c.status == 'skip' for c in cases)
            print('  %-32s %3d passed, %d failed, %d skipped' %
                  (suite, p, f, s), file=out)
            passed += p
            failed += f
            for c in cases:
                if c.status == 'fail':
                    failed_lines.append('FAIL [%s] %s' % (r.label, c.name))
                elif c.status == 'skip':
                    skipped_lines.append('  [%s] %s%s' % (
                        r.label, c.name, ': ' + c.reason if c.reason else ''))
        for note in r.notes:
            print('  note: %s' % note, file=out)
        for s in r.splats:
            failed += 1
            failed_lines.append('SPLAT [%s] %s: %s' % (r.label, s.kind, s.first))
            for a in s.also:
                failed_lines.append('      ... %s' % a)
            for t in s.detail:
                failed_lines.append('        %s' % t)
        for p in r.problems:
            failed += 1
            failed_lines.append('FAIL [%s] %s' % (r.label, p))
    for line in failed_lines:
        print(line, file=out)
    print('skipped: %d' % len(skipped_lines), file=out)
    for line in skipped_lines:
        print(line, file=out)
    print('%d passed, %d failed' % (passed, failed), file=out)
    return passed, failed


# ---------------------------------------------------------------------------
# Self-test on embedded samples.

SAMPLE_KTAP = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: phyr_sample
    1..4
    ok 1 plain_pass
[    2.345678]     not ok 2 plain_fail
    # plain_fail: EXPECTATION FAILED at drivers/gpu/drm/phyr/tests/x.c:10
        KTAP version 1
        # Subtest: param_test
        ok 1 small
        not ok 2 large
        ok 3 param-2 # SKIP not supported
    # param_test: pass:1 fail:1 skip:1 total:3
    not ok 3 param_test
    ok 4 skipped_test # SKIP needs an IOMMU
    # phyr_sample: pass:1 fail:2 skip:1 total:4
    # Totals: pass:2 fail:2 skip:2 total:6
not ok 1 phyr_sample
"""

SAMPLE_KTAP_INIT_FAIL = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: phyr_broken
    1..3
    # failed to initialize (-12)
not ok 1 phyr_broken
"""

SAMPLE_RESULTS = """\
# comment
PASS map_one
FAIL map_two
SKIP map_three no ivshmem device
"""

SAMPLE_DMESG = """\
[    0.000000] Linux version 6.12.117 (phyr@phyr)
[    0.123456] RETBleed: WARNING: Spectre v2 mitigation leaves CPU vulnerable
[    0.200000] DMA-API: preallocated 65536 debug entries
[    0.200001] DMA-API: debugging enabled by kernel config
[    3.000000] ==================================================================
[    3.000001] BUG: KASAN: slab-out-of-bounds in phyr_list_add+0x1a/0x40
[    3.000002] Read of size 8 at addr ffff888003a1c0c8 by task swapper/0/1
[    3.000003] Call Trace:
[    3.000004]  <TASK>
[    3.000005]  dump_stack_lvl+0x5d/0x80
[    3.000006]  </TASK>
[    3.000007] ==================================================================
[    4.000000] ------------[ cut here ]------------
[    4.000001] DMA-API: pci 0000:00:03.0: device driver frees DMA memory with wrong function
[    4.000002] WARNING: CPU: 0 PID: 1 at kernel/dma/debug.c:1027 check_unmap+0x2/0x3
[    4.000003] Modules linked in:
[    4.000004] ---[ end trace 0000000000000000 ]---
[    5.000000] ------------[ cut here ]------------
[    5.000001] kernel BUG at drivers/gpu/drm/phyr/phyr_block.c:42!
[    5.000002] Oops: invalid opcode: 0000 [#1] PREEMPT SMP KASAN
[    5.000003] ---[ end trace 0000000000000000 ]---
[    5.000004] Kernel panic - not syncing: Fatal exception
[    6.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)
"""

SAMPLE_KMEMLEAK = """\
unreferenced object 0xffff888004d6e000 (size 64):
  comm "swapper/0", pid 1, jiffies 4294892296
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 0):
    kmemleak_alloc+0x4a/0x80
    __kmalloc_noprof+0x1b2/0x3c0
    phyr_list_alloc+0x21/0x60
unreferenced object 0xffff888004d6e040 (size 64):
  comm "swapper/0", pid 1, jiffies 4294892296
  backtrace (crc 0):
    kmemleak_alloc+0x4a/0x80
    __kmalloc_noprof+0x1b2/0x3c0
    phyr_list_alloc+0x21/0x60
"""


def selftest():
    errors = []

    def check(what, got, want):
        if got != want:
            errors.append('%s: got %r, want %r' % (what, got, want))

    cases = parse_ktap(SAMPLE_KTAP, 'x')
    st = {c.name: c.status for c in cases}
    check('ktap cases', st, {
        'phyr_sample.plain_pass': 'pass',
        'phyr_sample.plain_fail': 'fail',
        'phyr_sample.param_test.small': 'pass',
        'phyr_sample.param_test.large': 'fail',
        'phyr_sample.param_test.param-2': 'skip',
        'phyr_sample.skipped_test': 'skip',
    })
    check('skip reason', [c.reason for c in cases if c.status == 'skip'],
          ['not supported', 'needs an IOMMU'])
    cases = parse_ktap(SAMPLE_KTAP_INIT_FAIL, 'phyr_broken')
    check('suite init failure', [(c.status) for c in cases], ['fail'])

    cases, bad = parse_results_file(SAMPLE_RESULTS, 'ivshmem')
    check('.results', [(c.name, c.status, c.reason) for c in cases], [
        ('ivshmem.map_one', 'pass', ''), ('ivshmem.map_two', 'fail', ''),
        ('ivshmem.map_three', 'skip', 'no ivshmem device')])
    check('.results bad lines', bad, [])

    splats, kml = scan_splats(SAMPLE_DMESG)
    check('splat kinds', [s.kind for s in splats],
          ['KASAN', 'DMA-API', 'kernel BUG'])
    check('KASAN first line', splats[0].first,
          'BUG: KASAN: slab-out-of-bounds in phyr_list_add+0x1a/0x40')
    check('folded', [len(s.also) for s in splats], [0, 1, 2])
    check('kmemleak dmesg', len(kml), 1)
    groups = scan_kmemleak(SAMPLE_KMEMLEAK)
    check('kmemleak groups', [(g[0], len(g[2])) for g in groups], [(2, 3)])

    # Whole-directory run: one clean and one broken results directory.
    with tempfile.TemporaryDirectory() as tmp:
        good, bad_dir = os.path.join(tmp, 'test'), os.path.join(tmp, 'test-iommu')
        for d in (good, bad_dir):
            os.makedirs(os.path.join(d, 'kunit'))
            with open(os.path.join(d, 'mode'), 'w') as f:
                f.write('test\n')
        with open(os.path.join(good, 'kunit', 'phyr_sample.ktap'), 'w') as f:
            f.write(SAMPLE_KTAP)
        with open(os.path.join(good, 'ivshmem.results'), 'w') as f:
            f.write(SAMPLE_RESULTS)
        with open(os.path.join(good, 'dmesg.txt'), 'w') as f:
            f.write(SAMPLE_DMESG)
        with open(os.path.join(good, 'kmemleak.txt'), 'w') as f:
            f.write(SAMPLE_KMEMLEAK)
        open(os.path.join(good, 'done'), 'w').close()
        with open(os.path.join(bad_dir, 'console.log'), 'w') as f:
            f.write('[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\n')

        buf = io.StringIO()
        passed, failed = report([good, bad_dir], out=buf)
        lines = buf.getvalue().splitlines()
        # passes: plain_pass, small, map_one; fails: 3 cases + 3 dmesg
        # splats + 1 kmemleak group in "test"; panic splat + no done marker
        # + no cases in "test-iommu".
        check('report counts', (passed, failed), (3, 3 + 3 + 1 + 3))
        check('last line', lines[-1], '3 passed, 10 failed')
        check('skipped line', 'skipped: 3' in lines, True)

    if errors:
        for e in errors:
            print('selftest: ' + e)
        print('selftest: FAILED (%d)' % len(errors))
        return 1
    print('selftest: ok')
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == '--selftest':
        return selftest()
    if len(argv) < 2 or argv[1] in ('-h', '--help') or argv[1].startswith('-'):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    passed, failed = report(argv[1:])
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
