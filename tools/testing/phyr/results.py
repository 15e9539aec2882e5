#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Summarise phyr results directories written by vm.sh (and run.sh's host run).

usage: results.py [--skips-fail] DIR [DIR...]
       results.py --selftest [--results FILE]

For every directory:
  * expect         what the run must contain (below); written by run.sh
  * kunit/*.ktap   KTAP from /sys/kernel/debug/kunit/<suite>/results
  * *.results      one case per line: "PASS name [text]", "FAIL name
                   [reason]", "SKIP name reason", optionally after a plan
                   line "1..N" (fewer than N cases is a failure)
  * guest.d.status one line per hook: "NAME STATUS [SECONDS]", STATUS an
                   exit code, "not-executable" or "missing"
  * dmesg.txt      kernel reports (console.log if dmesg.txt is missing;
                   console lines after the init's "done" are scanned too)
  * kmemleak.txt, kmemleak.status   leak reports, and whether the scans ran
  * lockdep_stats.txt   /proc/lockdep_stats at the end (debug_locks: 0
                   means lockdep turned itself off)
  * cmdline        the kernel command line: every phyr_* argument must be
                   one the guest scripts read
  * timing, vm.seconds   where the time went
  * done           marker written by the guest init as its last step

The expect file has one directive per line ('#' starts a comment):
  mode MODE             test, demo or host: what the directory holds
  kunit SUITE...        these KUnit suites must report ('*': every suite
                        defined under drivers/gpu/drm/phyr/tests)
  hook NAME RESULTS     guest.d hook NAME must exit 0 and write at least
                        one case to RESULTS.results
  results RESULTS       RESULTS.results must exist with at least one case
  igt BINARY...         each IGT binary must report cases in igt.results
                        ('*': every igt-tests/*.c)
  min SUITE N           SUITE must report at least N cases
  skip-ok GLOB          a skipped case whose name matches GLOB is expected
                        (the topology lacks something); any other skip is
                        a failure

Only leaf results count as cases: the parameters of a parameterised KUnit
test count one each.  Every kernel report counts as one failure, and so
does every missing or inconsistent piece above.  The last line printed is
"N passed, N failed, N skipped"; the exit status is 0 iff nothing failed.
"""

import fnmatch
import io
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))

TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')
RESULT_RE = re.compile(r'^(not ok|ok)\s+(\d+)(?:\s+-)?(?:\s+(.*))?$')
SKIP_RE = re.compile(r'\s*#\s*SKIP\b\s*(.*)$', re.IGNORECASE)
SUBTEST_RE = re.compile(r'^#\s*Subtest:\s*(.*)$')
PLAN_RE = re.compile(r'^1\.\.(\d+)\s*$')
VERSION_RE = re.compile(r'^K?TAP version \d+')


def strip_timestamp(line):
    return TIMESTAMP_RE.sub('', line.rstrip('\r\n'), count=1)


class Case:
    def __init__(self, suite, name, status, reason=''):
        self.suite = suite
        self.name = name        # suite.case or suite.case.param
        self.status = status    # 'pass', 'fail' or 'skip'
        self.reason = reason


class _Level:
    """One KTAP (sub)document: its indent, plan, name and results."""

    def __init__(self, indent):
        self.indent = indent
        self.plan = None
        self.name = None
        self.results = 0
        self.failed = False     # a leaf below failed
        self.cases = 0          # leaves below


def parse_ktap(text, default_suite):
    """Return (cases, problems) of one KUnit KTAP document.

    The document is read as nested levels: a level holds the lines of one
    indentation, and a result line closes the level indented below it (its
    subtests).  A result line that closes no level is a leaf and a case;
    the others are parents.  Problems (each one failure) are: no result at
    all, a plan 1..N with fewer than N results, and a parent "not ok" with
    no failed leaf below (a suite or parameterised test that failed
    outside its cases).  A top-level (suite) line that is "not ok" or a
    SKIP without cases below becomes a case of its own, so that a suite
    that failed to initialise, or was skipped whole, is never lost.
    """
    cases, problems = [], []
    stack = [_Level(0)]
    seen_result = False

    def close(level):
        if level.plan is not None and level.results < level.plan:
            problems.append('%s: KTAP plan 1..%d but %d result(s)' % (
                level.name or default_suite, level.plan, level.results))

    for raw in text.splitlines():
        line = strip_timestamp(raw).expandtabs(4)
        body = line.lstrip(' ')
        if not body:
            continue
        indent = len(line) - len(body)
        m_sub = SUBTEST_RE.match(body)
        m_plan = PLAN_RE.match(body)
        m_res = RESULT_RE.match(body)
        if not (m_sub or m_plan or m_res or VERSION_RE.match(body)):
            continue
        if not m_res:
            # a header line: it opens a level at its indent if need be
            while stack[-1].indent > indent:
                close(stack.pop())
            if stack[-1].indent < indent:
                stack.append(_Level(indent))
            if m_sub:
                stack[-1].name = m_sub.group(1).strip()
            elif m_plan:
                stack[-1].plan = int(m_plan.group(1))
            continue

        seen_result = True
        # the levels indented below this line are its subtests; the
        # shallowest of them is the child level, and anything left open
        # deeper down is counted with it
        child = None
        while stack[-1].indent > indent:
            lvl = stack.pop()
            close(lvl)
            if child is not None:
                lvl.cases += child.cases
                lvl.failed |= child.failed
            child = lvl
        if stack[-1].indent < indent:
            stack.append(_Level(indent))
        level = stack[-1]
        level.results += 1

        ok, desc = m_res.group(1) == 'ok', (m_res.group(3) or '').strip()
        reason = ''
        skip = SKIP_RE.search(desc)
        if skip:
            reason = skip.group(1).strip()
            desc = desc[:skip.start()].strip()
        names = [lv.name for lv in stack if lv.name]
        if child is not None and child.cases > 0:
            # a parent: its leaves were counted already
            if not ok and not skip and not child.failed:
                label = '.'.join(names + [desc]) if indent else desc
                problems.append('%s: reported "not ok" although no case '
                                'below it failed' % (label or default_suite))
                level.failed = True
            level.cases += child.cases
            level.failed |= child.failed
            continue
        if indent == 0:
            # a suite line without cases below it
            suite = desc or default_suite
            if skip:
                cases.append(Case(suite, '%s (whole suite skipped)' % suite,
                                  'skip', reason))
            elif not ok:
                cases.append(Case(suite, '%s (suite failed without case '
                                  'results)' % suite, 'fail'))
            else:
                problems.append('%s: suite reported ok without any case' %
                                suite)
            continue
        if not names:
            names = [default_suite]
        name = '.'.join(names + [desc or 'case-%s' % m_res.group(2)])
        status = 'skip' if skip else ('pass' if ok else 'fail')
        cases.append(Case(names[0], name, status, reason))
        level.cases += 1
        level.failed |= status == 'fail'
    while stack:
        close(stack.pop())
    if not seen_result:
        problems.append('%s: KTAP without any result line' % default_suite)
    return cases, problems


VERBS = {'PASS': 'pass', 'FAIL': 'fail', 'SKIP': 'skip'}


def parse_results_file(text, suite):
    """Parse a .results file; return (cases, problems).

    A line that is not a plan, a comment or "PASS|FAIL|SKIP name ..." is a
    problem: a CRASH or TIMEOUT verb, or a bare FAIL, is never ignored.
    """
    cases, problems = [], []
    plan = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        m = PLAN_RE.match(line)
        if m and plan is None and not cases:
            plan = int(m.group(1))
            continue
        parts = line.split(None, 2)
        if parts[0] not in VERBS or len(parts) < 2:
            problems.append('%s: not a result line: %s' % (suite, line[:120]))
            continue
        reason = parts[2] if len(parts) > 2 else ''
        cases.append(Case(suite, '%s.%s' % (suite, parts[1]),
                          VERBS[parts[0]], reason))
    if plan is not None and len(cases) < plan:
        problems.append('%s: plan 1..%d but %d case(s)' %
                        (suite, plan, len(cases)))
    if not cases and not problems and plan != 0:
        problems.append('%s: results file without any case' % suite)
    return cases, problems


# Kernel reports: (kind, pattern), matched against a line with its printk
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
    ('lockdep', r'^\s*INFO: trying to register non-static key'),
    ('lockdep', r'^\s*turning off the locking correctness validator'),
    ('WARNING', r'^\s*WARNING:'),
    ('UBSAN', r'^\s*UBSAN:'),
    # dma-debug errors are "DMA-API: <driver> <device>: <what>"; its
    # informational lines ("preallocated ...") do not have that shape.
    ('DMA-API', r'^\s*DMA-API: (\S+ \S+: |.*out of memory|.*ENOMEM)'),
    ('hung task', r'^\s*INFO: task .* blocked'),
    # "rcu: INFO: rcu_preempt self-detected stall on CPU", "... detected
    # stalls on CPUs/tasks", "... detected expedited stalls on CPUs/tasks"
    ('RCU stall', r'^\s*rcu: INFO: .*(stall|Stall)'),
    ('OOM', r'(invoked oom-killer|^\s*Out of memory: Kill)'),
    ('kmemleak off', r'^\s*kmemleak: (.*disabled|Memory pool empty|'
                     r'Cannot |Early log buffer exceeded)'),
    ('Kernel panic', r'^\s*Kernel panic'),
]]
CUT_HERE_RE = re.compile(r'-+\[ cut here \]-+')
END_TRACE_RE = re.compile(r'---\[ end trace')
KMEMLEAK_DMESG_RE = re.compile(r'kmemleak: (\d+) new suspected memory leaks')
# A second pattern match this many lines after the start of a report, with
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
    """Return the kernel reports found in dmesg/console text."""
    splats = []
    cur = None          # report still open for folding
    cur_closed = True
    last_line = -10**9  # last line belonging to the latest report
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


def read_tree(pattern_dir, suffixes):
    """Concatenated text of the files below pattern_dir with a suffix."""
    text = []
    for top, _, files in os.walk(pattern_dir):
        for f in sorted(files):
            if f.endswith(suffixes):
                text.append(read(os.path.join(top, f)) or '')
    return '\n'.join(text)


# ---------------------------------------------------------------------------
# What the tree itself declares: KUnit suites, IGT binaries, the kernel
# command-line arguments the guest scripts read.

class Tree:
    def __init__(self, root=ROOT):
        tests = os.path.join(root, 'drivers/gpu/drm/phyr')
        src = read_tree(os.path.join(tests, 'tests'), ('.c',))
        self.kunit_suites = sorted(set(re.findall(
            r'struct kunit_suite\s+\w+\s*=\s*{[^}]*?\.name\s*=\s*"([^"]+)"',
            src, re.S)))
        igt = os.path.join(root, 'igt-tests')
        self.igt_binaries = sorted(
            f[:-2] for f in (os.listdir(igt) if os.path.isdir(igt) else [])
            if f.endswith('.c'))
        guest = os.path.join(root, 'tools/testing/phyr')
        scripts = (read(os.path.join(guest, 'guest-init.sh')) or '') + \
            read_tree(os.path.join(guest, 'guest.d'), ('.sh',))
        self.guest_args = set(re.findall(r'\b(phyr_[a-z0-9_]+)=', scripts)) | \
            set(re.findall(r'\$\{(phyr_[a-z0-9_]+)', scripts))
        ksrc = read_tree(tests, ('.c',))
        self.module_params = set(re.findall(
            r'module_param(?:_named)?\(\s*(\w+)', ksrc))
        mk = read_tree(tests, ('Makefile',))
        self.modules = set(re.findall(r'\+=\s*(\w+)\.o', mk))


def check_cmdline(cmdline, tree):
    """Problems with the phyr arguments of a kernel command line."""
    problems = []
    for arg in cmdline.split():
        key = arg.split('=', 1)[0]
        if key.startswith('phyr_') and key not in tree.guest_args:
            problems.append('kernel argument %s is read by no guest script '
                            '(misspelt?)' % arg)
        m = re.match(r'^(\w*phyr\w*)\.(\w+)$', key)
        if m and (m.group(1) not in tree.modules or
                  m.group(2) not in tree.module_params):
            problems.append('kernel argument %s names no phyr module '
                            'parameter (misspelt?)' % arg)
    return problems


# ---------------------------------------------------------------------------
# One results directory.

class Expect:
    def __init__(self, text):
        self.mode = None
        self.kunit = []
        self.hooks = []         # (hook, results suite)
        self.results = []
        self.igt = []
        self.mins = []          # (suite, n)
        self.skip_ok = []
        self.errors = []
        for n, raw in enumerate(text.splitlines(), 1):
            words = raw.split('#', 1)[0].split()
            if not words:
                continue
            d, args = words[0], words[1:]
            if d == 'mode' and len(args) == 1:
                self.mode = args[0]
            elif d == 'kunit' and args:
                self.kunit += args
            elif d == 'hook' and len(args) == 2:
                self.hooks.append((args[0], args[1]))
            elif d == 'results' and args:
                self.results += args
            elif d == 'igt' and args:
                self.igt += args
            elif d == 'min' and len(args) == 2 and args[1].isdigit():
                self.mins.append((args[0], int(args[1])))
            elif d == 'skip-ok' and len(args) == 1:
                self.skip_ok.append(args[0])
            else:
                self.errors.append('expect line %d not understood: %s' %
                                   (n, raw.strip()))


class DirResult:
    def __init__(self, path):
        self.path = path
        self.label = os.path.basename(os.path.realpath(path)) or path
        self.mode = 'unknown'
        self.suites = []     # (suite, [Case])
        self.splats = []
        self.problems = []   # other failures, one line each
        self.notes = []
        self.timing = []     # (what, seconds)


def kunit_files(d):
    kdir = os.path.join(d, 'kunit')
    if not os.path.isdir(kdir):
        return []
    return sorted(os.path.join(kdir, f) for f in os.listdir(kdir)
                  if f.endswith('.ktap'))


def results_files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith('.results'))


def read_timing(d, r):
    vm = (read(os.path.join(d, 'vm.seconds')) or '').strip()
    if vm.isdigit():
        r.timing.append(('VM (wall)', int(vm)))
    for line in (read(os.path.join(d, 'timing')) or '').splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                r.timing.append((parts[0], float(parts[1])))
            except ValueError:
                pass


def check_expect(r, exp, tree, hook_status):
    by_suite = {}
    for suite, cases in r.suites:
        by_suite.setdefault(suite, []).extend(cases)
    r.problems += exp.errors
    want_kunit = []
    for s in exp.kunit:
        want_kunit += tree.kunit_suites if s == '*' else [s]
    for s in want_kunit:
        if s not in by_suite:
            r.problems.append('KUnit suite %s did not report' % s)
    if '*' in exp.kunit and not tree.kunit_suites:
        r.problems.append('no KUnit suite found in the tree')
    for hook, suite in exp.hooks:
        # a nonzero status is reported for every hook, listed or not
        if hook not in hook_status:
            r.problems.append('hook %s did not run (no status)' % hook)
        if not by_suite.get(suite):
            r.problems.append('hook %s wrote no case to %s.results' %
                              (hook, suite))
    for suite in exp.results:
        if not by_suite.get(suite):
            r.problems.append('%s.results is missing or empty' % suite)
    want_igt = []
    for b in exp.igt:
        want_igt += tree.igt_binaries if b == '*' else [b]
    igt_names = [c.name for c in by_suite.get('igt', [])]
    for b in want_igt:
        if not any(n.startswith('igt.%s.' % b) for n in igt_names):
            r.problems.append('IGT binary %s reported no subtest' % b)
    for suite, n in exp.mins:
        got = len(by_suite.get(suite, []))
        if got < n:
            r.problems.append('%s: %d case(s), at least %d expected' %
                              (suite, got, n))


def analyse_dir(d, tree=None):
    r = DirResult(d)
    if not os.path.isdir(d):
        r.problems.append('no such results directory')
        return r
    tree = tree or Tree()
    exp_text = read(os.path.join(d, 'expect'))
    exp = Expect(exp_text or '')
    if exp_text is None:
        r.problems.append('no expect file: nothing says what this run '
                          'must contain')
    r.mode = exp.mode or (read(os.path.join(d, 'mode')) or '').strip() or \
        'unknown'
    read_timing(d, r)

    console = read(os.path.join(d, 'console.log'))
    for f in kunit_files(d):
        suite = os.path.basename(f)[:-len('.ktap')]
        cases, problems = parse_ktap(read(f) or '', suite)
        r.suites.append((suite, cases))
        r.problems += problems
    if not r.suites and console and 'KTAP version 1' in console:
        # The guest did not get to copy the debugfs results (e.g. it
        # crashed): fall back to the KTAP printed on the console at boot.
        cases, problems = parse_ktap(console, 'kunit')
        r.problems += problems
        if cases:
            r.notes.append('no kunit/*.ktap, KUnit results taken from console.log')
        for c in cases:
            if not r.suites or r.suites[-1][0] != c.suite:
                r.suites.append((c.suite, []))
            r.suites[-1][1].append(c)
    for f in results_files(d):
        suite = os.path.basename(f)[:-len('.results')]
        cases, problems = parse_results_file(read(f) or '', suite)
        r.suites.append((suite, cases))
        r.problems += problems

    hook_status = {}
    status = read(os.path.join(d, 'guest.d.status'))
    for line in (status or '').splitlines():
        parts = line.split()
        if not parts:
            continue
        hook = parts[0][:-3] if parts[0].endswith('.sh') else parts[0]
        st = parts[1] if len(parts) > 1 else '?'
        hook_status[hook] = st
        if st != '0':
            r.problems.append('guest.d hook %s: %s' % (
                hook, 'exit status ' + st if st.isdigit() else st))
        if len(parts) > 2:
            try:
                r.timing.append(('hook ' + hook, float(parts[2])))
            except ValueError:
                pass
    if r.mode == 'test' and status is None:
        r.problems.append('no guest.d.status: the hooks did not run')

    if r.mode == 'host':
        check_expect(r, exp, tree, hook_status)
        check_cases(r, exp)
        return r

    cmdline = read(os.path.join(d, 'cmdline'))
    if cmdline is not None:
        r.problems += check_cmdline(cmdline, tree)
    elif r.mode in ('test', 'demo'):
        r.problems.append('no cmdline file')

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
    if r.mode in ('test', 'demo'):
        st = (read(os.path.join(d, 'kmemleak.status')) or '').strip()
        if st != 'ok':
            r.problems.append('kmemleak did not scan: %s' %
                              (st or 'no kmemleak.status'))
        stats = read(os.path.join(d, 'lockdep_stats.txt'))
        if stats is None:
            r.problems.append('no lockdep_stats.txt: cannot tell whether '
                              'lockdep stayed on')
        else:
            m = re.search(r'^\s*debug_locks:\s*(\d+)', stats, re.M)
            if not m:
                r.problems.append('lockdep_stats.txt has no debug_locks line')
            elif m.group(1) == '0':
                r.problems.append('debug_locks is 0: lockdep turned itself '
                                  'off during the run')

    if not os.path.exists(os.path.join(d, 'done')):
        r.problems.append('no done marker: guest did not finish')
    check_expect(r, exp, tree, hook_status)
    check_cases(r, exp)
    return r


def check_cases(r, exp):
    allc = [c for _, cases in r.suites for c in cases]
    if r.mode in ('test', 'host') and not allc:
        r.problems.append('no test cases found')
    elif allc and all(c.status == 'skip' for c in allc):
        r.problems.append('every one of the %d case(s) skipped' % len(allc))
    for c in allc:
        if c.status == 'skip' and \
                not any(fnmatch.fnmatchcase(c.name, g) for g in exp.skip_ok):
            c.status = 'fail'
            c.reason = 'unexpected skip: %s' % (c.reason or 'no reason given')


def fmt_secs(s):
    s = int(round(s))
    return '%dm%02ds' % (s // 60, s % 60) if s >= 60 else '%ds' % s


def report(dirs, out=sys.stdout, tree=None):
    """Print the summary; return (passed, failed, skipped)."""
    tree = tree or Tree()
    results = [analyse_dir(d, tree) for d in dirs]
    passed = failed = 0
    failed_lines, skipped_lines = [], []
    names = set()
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
                names.add(c.name)
                if c.status == 'fail':
                    failed_lines.append('FAIL [%s] %s%s' % (
                        r.label, c.name, ': ' + c.reason if c.reason else ''))
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
    if any(r.timing for r in results):
        print('time:', file=out)
        for r in results:
            if r.timing:
                print('  %-16s %s' % (r.label, ', '.join(
                    '%s %s' % (w, fmt_secs(s)) for w, s in r.timing)), file=out)
    print('distinct cases: %d' % len(names), file=out)
    for line in failed_lines:
        print(line, file=out)
    print('skipped: %d' % len(skipped_lines), file=out)
    for line in skipped_lines:
        print(line, file=out)
    print('%d passed, %d failed, %d skipped' %
          (passed, failed, len(skipped_lines)), file=out)
    return passed, failed, len(skipped_lines)


# ---------------------------------------------------------------------------
# Self-test on synthetic inputs: every way a run must turn red.

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

GOOD_KTAP = """\
KTAP version 1
1..1
    KTAP version 1
    # Subtest: phyr_list
    1..2
    ok 1 a
        KTAP version 1
        # Subtest: b
        ok 1 b-0
        ok 2 b-1
    ok 2 b
ok 1 phyr_list
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
[    0.300000] kmemleak: Kernel memory leak detector initialized (mem pool available: 15785)
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

LOCKDEP_OK = ' lock-classes:                          1234 [max: 8192]\n' \
             ' debug_locks:                             1\n'

# A clean test directory; each red case below changes one thing in it.
CLEAN_DIR = {
    'expect': 'mode test\nkunit phyr_list\nhook 30-igt igt\n'
              'igt vphyr_basic\nskip-ok igt.vphyr_basic.needs-*\n',
    'mode': 'test\n',
    'kunit/phyr_list.ktap': GOOD_KTAP,
    'igt.results': '1..3\nPASS vphyr_basic.create\nPASS vphyr_basic.mmap\n'
                   'SKIP vphyr_basic.needs-iommu no IOMMU in this VM\n',
    'guest.d.status': '30-igt.sh 0 12\n',
    'cmdline': 'console=ttyS0 phyr_mode=test phyr_p2p=none '
               'drm_phyr_test.p2p=none phyr_hooks=30-igt\n',
    'dmesg.txt': '[    0.000000] Linux version 6.12.117\n'
                 '[    9.000000] phyr-init: done\n',
    'kmemleak.txt': '',
    'kmemleak.status': 'ok\n',
    'lockdep_stats.txt': LOCKDEP_OK,
    'done': '',
}


def _tree():
    t = Tree.__new__(Tree)
    t.kunit_suites = ['phyr_list', 'phyr_dma']
    t.igt_binaries = ['vphyr_basic', 'vphyr_prime']
    t.guest_args = {'phyr_mode', 'phyr_p2p', 'phyr_hooks'}
    t.module_params = {'p2p', 'seed'}
    t.modules = {'drm_phyr_test'}
    return t


# name -> (changes to CLEAN_DIR: path -> text or None to delete,
#          substring that must appear in a FAIL/SPLAT line)
RED_CASES = {
    'hook-exit0-no-results': ({'igt.results': None},
                              'hook 30-igt wrote no case'),
    'no-hook-status': ({'guest.d.status': None}, 'no guest.d.status'),
    'hook-not-executable': ({'guest.d.status': '30-igt.sh not-executable\n'},
                            'hook 30-igt: not-executable'),
    'hook-missing': ({'guest.d.status': '30-igt.sh missing\n'},
                     'hook 30-igt: missing'),
    'hook-nonzero': ({'guest.d.status': '30-igt.sh 1 3\n'},
                     'exit status 1'),
    'cmdline-misspelt-arg': ({'cmdline': 'phyr_mode=test phyr_pp2p=none '
                              'phyr_hooks=30-igt\n'}, 'phyr_pp2p=none'),
    'cmdline-misspelt-param': ({'cmdline': 'phyr_mode=test '
                                'drm_phyr_test.p2q=host\n'},
                               'drm_phyr_test.p2q'),
    'hook-exit0-missing-arg': ({'igt.results': '', 'cmdline':
                                'phyr_mode=test phyr_hooks=30-igt\n'},
                               'igt: results file without any case'),
    'ktap-short-plan': ({'kunit/phyr_list.ktap':
                         GOOD_KTAP.replace('    1..2', '    1..3')},
                        'plan 1..3 but 2'),
    'ktap-suite-not-ok-cases-ok': ({'kunit/phyr_list.ktap':
                                    GOOD_KTAP.replace('ok 1 phyr_list',
                                                      'not ok 1 phyr_list')},
                                   'phyr_list: reported "not ok"'),
    'ktap-param-parent-not-ok': ({'kunit/phyr_list.ktap':
                                  GOOD_KTAP.replace('\n    ok 2 b\n',
                                                    '\n    not ok 2 b\n')},
                                 'phyr_list.b: reported "not ok"'),
    'ktap-empty': ({'kunit/phyr_list.ktap': ''},
                   'KTAP without any result line'),
    'ktap-suite-skip': ({'kunit/phyr_list.ktap':
                         'KTAP version 1\n1..1\nok 1 phyr_list # SKIP no PCI\n'},
                        'phyr_list (whole suite skipped): unexpected skip'),
    'ktap-suite-missing': ({'kunit/phyr_list.ktap': None},
                           'KUnit suite phyr_list did not report'),
    'all-skipped': ({'kunit/phyr_list.ktap': None, 'expect':
                     'mode test\nhook 30-igt igt\nskip-ok *\n',
                     'igt.results': 'SKIP vphyr_basic.a x\nSKIP vphyr_basic.b y\n'},
                    'every one of the 2 case(s) skipped'),
    'unexpected-skip': ({'igt.results': '1..2\nPASS vphyr_basic.create\n'
                         'SKIP vphyr_basic.mmap no reason\n'},
                        'vphyr_basic.mmap: unexpected skip'),
    'verb-crash': ({'igt.results': 'PASS vphyr_basic.a\nCRASH vphyr_basic.b\n'},
                   'not a result line: CRASH'),
    'verb-timeout': ({'igt.results': 'PASS vphyr_basic.a\nTIMEOUT x\n'},
                     'not a result line: TIMEOUT'),
    'verb-bare-fail': ({'igt.results': 'PASS vphyr_basic.a\nFAIL\n'},
                       'not a result line: FAIL'),
    'results-short-plan': ({'igt.results': '1..5\nPASS vphyr_basic.a\n'},
                           'plan 1..5 but 1'),
    'igt-binary-missing': ({'expect':
                            'mode test\nkunit phyr_list\nhook 30-igt igt\n'
                            'igt *\nskip-ok igt.vphyr_basic.needs-*\n'},
                           'IGT binary vphyr_prime reported no subtest'),
    'no-expect': ({'expect': None}, 'no expect file'),
    'no-done': ({'done': None}, 'no done marker'),
    'rcu-self-detected': ({'dmesg.txt': '[ 50.0] rcu: INFO: rcu_preempt '
                           'self-detected stall on CPU\n'}, 'RCU stall'),
    'rcu-expedited': ({'dmesg.txt': '[ 50.0] rcu: INFO: rcu_preempt detected '
                       'expedited stalls on CPUs/tasks: { 1-... } 21 jiffies\n'},
                      'RCU stall'),
    'lockdep-non-static-key': ({'dmesg.txt': '[ 5.0] INFO: trying to register '
                                'non-static key.\n'}, 'lockdep'),
    'lockdep-off': ({'lockdep_stats.txt': LOCKDEP_OK.replace('1\n', '0\n')},
                    'debug_locks is 0'),
    'lockdep-stats-missing': ({'lockdep_stats.txt': None},
                              'no lockdep_stats.txt'),
    'kmemleak-disabled': ({'dmesg.txt': '[ 5.0] kmemleak: Kernel memory leak '
                           'detector disabled\n'}, 'kmemleak off'),
    'kmemleak-scan-failed': ({'kmemleak.status': 'scan failed\n'},
                             'kmemleak did not scan: scan failed'),
    'kmemleak-report': ({'kmemleak.txt': SAMPLE_KMEMLEAK}, 'kmemleak'),
    'oom-killer': ({'dmesg.txt': '[ 9.0] igt invoked oom-killer: '
                    'gfp_mask=0x140cca\n[ 9.1] Out of memory: Killed process '
                    '77 (vphyr_basic)\n'}, 'OOM'),
    'kasan': ({'dmesg.txt': SAMPLE_DMESG}, 'KASAN'),
    'warning': ({'dmesg.txt': '[ 1.0] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1\n'},
                'WARNING'),
}


def _write_dir(path, files):
    for rel, text in files.items():
        if text is None:
            continue
        p = os.path.join(path, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write(text)


def selftest(results_file=None):
    """Run every self-test case; return the exit status."""
    outcomes = []   # (name, ok, why)

    def check(what, got, want):
        outcomes.append((what, got == want,
                         '' if got == want else 'got %r, want %r' % (got, want)))

    cases, problems = parse_ktap(SAMPLE_KTAP, 'x')
    check('ktap-cases', {c.name: c.status for c in cases}, {
        'phyr_sample.plain_pass': 'pass',
        'phyr_sample.plain_fail': 'fail',
        'phyr_sample.param_test.small': 'pass',
        'phyr_sample.param_test.large': 'fail',
        'phyr_sample.param_test.param-2': 'skip',
        'phyr_sample.skipped_test': 'skip',
    })
    check('ktap-consistent-failure-no-problem', problems, [])
    check('ktap-skip-reason', [c.reason for c in cases if c.status == 'skip'],
          ['not supported', 'needs an IOMMU'])
    cases, problems = parse_ktap(
        'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: phyr_broken\n'
        '    1..3\n    # failed to initialize (-12)\nnot ok 1 phyr_broken\n',
        'phyr_broken')
    check('ktap-suite-init-failure', [c.status for c in cases], ['fail'])
    check('ktap-suite-init-failure-plan', problems,
          ['phyr_broken: KTAP plan 1..3 but 0 result(s)'])
    cases, problems = parse_ktap(GOOD_KTAP, 'phyr_list')
    check('ktap-good', ([c.name for c in cases], problems),
          (['phyr_list.a', 'phyr_list.b.b-0', 'phyr_list.b.b-1'], []))

    cases, problems = parse_results_file(SAMPLE_RESULTS, 'ivshmem')
    check('results-lines', [(c.name, c.status, c.reason) for c in cases], [
        ('ivshmem.map_one', 'pass', ''), ('ivshmem.map_two', 'fail', ''),
        ('ivshmem.map_three', 'skip', 'no ivshmem device')])
    check('results-no-problem', problems, [])

    splats, kml = scan_splats(SAMPLE_DMESG)
    check('splat-kinds', [s.kind for s in splats],
          ['KASAN', 'DMA-API', 'kernel BUG'])
    check('splat-first-line', splats[0].first,
          'BUG: KASAN: slab-out-of-bounds in phyr_list_add+0x1a/0x40')
    check('splat-folded', [len(s.also) for s in splats], [0, 1, 2])
    check('kmemleak-dmesg', len(kml), 1)
    groups = scan_kmemleak(SAMPLE_KMEMLEAK)
    check('kmemleak-groups', [(g[0], len(g[2])) for g in groups], [(2, 3)])

    tree = _tree()
    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, 'clean')
        _write_dir(clean, CLEAN_DIR)
        buf = io.StringIO()
        counts = report([clean], out=buf, tree=tree)
        check('clean-dir-green', (counts, buf.getvalue().splitlines()[-1]),
              ((5, 0, 1), '5 passed, 0 failed, 1 skipped'))
        for name, (changes, needle) in sorted(RED_CASES.items()):
            d = os.path.join(tmp, name)
            files = dict(CLEAN_DIR)
            files.update(changes)
            _write_dir(d, files)
            buf = io.StringIO()
            _, failed, _ = report([d], out=buf, tree=tree)
            text = buf.getvalue()
            lines = [l for l in text.splitlines()
                     if l.startswith(('FAIL ', 'SPLAT '))]
            hit = any(needle in l for l in lines)
            outcomes.append(('red-' + name, failed > 0 and hit,
                             '' if failed > 0 and hit else
                             'failed=%d, no line with %r in:\n%s' %
                             (failed, needle, text)))
        # IGT: one failing subtest is one failure
        d = os.path.join(tmp, 'igt-one-fail')
        files = dict(CLEAN_DIR)
        files['igt.results'] = '1..2\nPASS vphyr_basic.create\n' \
                               'FAIL vphyr_basic.mmap.card1\n'
        _write_dir(d, files)
        _, failed, _ = report([d], out=io.StringIO(), tree=tree)
        check('igt-one-failure-counts-once', failed, 1)
    # the cmdline check reads the real tree
    real = Tree()
    check('tree-knows-suites', 'phyr_list' in real.kunit_suites, True)
    check('tree-knows-args', {'phyr_p2p', 'phyr_hooks'} <= real.guest_args, True)
    check('tree-cmdline-clean', check_cmdline(
        'phyr_mode=test phyr_p2p=none drm_phyr_test.p2p=host', real), [])

    bad = [o for o in outcomes if not o[1]]
    lines = ['%s selftest.%s' % ('PASS' if ok else 'FAIL', name)
             for name, ok, _ in outcomes]
    if results_file:
        with open(results_file, 'w') as f:
            f.write('1..%d\n' % len(outcomes))
            f.write('\n'.join(lines) + '\n')
    for name, ok, why in bad:
        print('selftest: %s: %s' % (name, why))
    print('selftest: %d cases, %d failed' % (len(outcomes), len(bad)))
    return 1 if bad else 0


def main(argv):
    args = argv[1:]
    if args[:1] == ['--selftest']:
        res = None
        if len(args) == 3 and args[1] == '--results':
            res = args[2]
        elif len(args) != 1:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        return selftest(res)
    if not args or args[0] in ('-h', '--help') or args[0].startswith('-'):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    _, failed, _ = report(args)
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
