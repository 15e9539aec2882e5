#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Check the book in docs/ against the sources, without building it.

usage: docs-check.py [--root DIR] [--docs DIR] [--results FILE]

Cases (one result line each, "PASS name [host]" or "FAIL name [host]
reason", after a plan line "1..N"):

  kernel-doc-files     every ".. kernel-doc::" directive names a file of
                       the clone, or a kernel file that patches/ changes
  kernel-doc-sections  every ":doc: TITLE" has a "DOC: TITLE" block in its
                       file (or in the patch that adds it)
  kernel-doc-names     every name in ":identifiers:", ":functions:" and
                       ":no-identifiers:" has a kernel-doc comment there
  exports-documented   every EXPORT_SYMBOL* of drivers/gpu/drm/phyr/*.c is
                       pulled in by a directive (":export:" on its file, or
                       its name in ":identifiers:"), with a kernel-doc
                       comment for a function; an exported variable, which
                       6.12's kernel-doc cannot document, is named in the
                       book's text instead
  patch-exports-documented
                       the same for every symbol patches/ exports
  figures              every figure, image and include names a file in
                       docs/
  toctree              every page is in the index's toctree, and every
                       toctree entry is a page

--root is the project (default: the clone this script is in), --docs the
book (default ROOT/docs): a modified copy can be checked. The results go to
stdout and, with --results, to FILE. Exit status: 0 when every case
passed, 1 otherwise, 2 for bad usage.
"""
import glob
import os
import re
import sys

EXPORT_RE = re.compile(r'^\+?\s*EXPORT_SYMBOL(?:_GPL)?(?:_NS(?:_GPL)?)?\(\s*(\w+)',
                       re.M)
DIRECTIVE_RE = re.compile(r'^\.\.\s+([\w-]+)::\s*(\S*)\s*$')
OPTION_RE = re.compile(r'^\s+:([\w-]+):\s*(.*?)\s*$')


def directives(docs):
    """(page, line, name, argument, {option: value}) for every directive."""
    out = []
    for page in sorted(glob.glob(os.path.join(docs, '*.rst'))):
        with open(page) as f:
            lines = f.read().splitlines()
        for i, line in enumerate(lines):
            m = DIRECTIVE_RE.match(line)
            if not m:
                continue
            opts = {}
            for opt in lines[i + 1:]:
                o = OPTION_RE.match(opt)
                if not o:
                    break
                opts[o.group(1)] = o.group(2)
            out.append((os.path.basename(page), i + 1, m.group(1),
                        m.group(2), opts))
    return out


class Sources:
    """The clone's files and the kernel files the patches change."""

    def __init__(self, root):
        self.root = root
        self.patched = {}       # kernel path -> added lines of its patches
        for p in sorted(glob.glob(os.path.join(root, 'patches', 'tree', '*.patch'))):
            with open(p, errors='replace') as f:
                cur = None
                for line in f:
                    if line.startswith('+++ b/'):
                        cur = line[6:].split()[0]
                        self.patched.setdefault(cur, [])
                    elif line.startswith('--- ') or line.startswith('diff '):
                        cur = None
                    elif cur and line.startswith('+'):
                        self.patched[cur].append(line[1:])

    def text(self, path):
        """The file's text (what the patches add to a kernel file), or
        None when neither the clone nor a patch has it."""
        full = os.path.join(self.root, path)
        if os.path.isfile(full):
            with open(full, errors='replace') as f:
                return f.read()
        if path in self.patched:
            return ''.join(self.patched[path])
        return None


def has_kdoc(text, name):
    """Whether text has a kernel-doc comment for name."""
    pat = (r'^\s*\*\s*(?:(?:struct|union|enum)\s+)?' + re.escape(name) +
           r'(?:\(\))?\s*(?:-|:)')
    return re.search(pat, text, re.M) is not None


def check(root, docs):
    src = Sources(root)
    dirs = directives(docs)
    kdoc = [d for d in dirs if d[2] == 'kernel-doc']
    cases = []

    bad = ['%s:%d: %s' % (p, n, a) for p, n, _, a, _ in kdoc
           if src.text(a) is None]
    if not kdoc:
        bad.append('no kernel-doc directive at all')
    cases.append(('kernel-doc-files', bad))

    bad = []
    for p, n, _, a, o in kdoc:
        t = src.text(a)
        if t is None or 'doc' not in o:
            continue
        if not re.search(r'^\s*\*\s*DOC:\s*' + re.escape(o['doc']) + r'\s*$',
                         t, re.M):
            bad.append('%s:%d: no "DOC: %s" in %s' % (p, n, o['doc'], a))
    cases.append(('kernel-doc-sections', bad))

    bad = []
    covered = {}                # file -> names pulled in by name
    exported_files = set()      # files with :export: (no patterns)
    for p, n, _, a, o in kdoc:
        t = src.text(a)
        if 'export' in o:
            pats = o['export'].split() or [a]
            for pat in pats:
                for f in glob.glob(os.path.join(root, pat)) or [pat]:
                    exported_files.add(os.path.relpath(f, root)
                                       if f.startswith(root) else f)
        for key in ('identifiers', 'functions', 'no-identifiers'):
            for name in o.get(key, '').split():
                if key != 'no-identifiers':
                    covered.setdefault(a, set()).add(name)
                if t is not None and not has_kdoc(t, name):
                    bad.append('%s:%d: %s has no kernel-doc for %s' %
                               (p, n, a, name))
    cases.append(('kernel-doc-names', bad))

    # the book's text: its pages and the DOC blocks they pull in
    book = ''
    for page in glob.glob(os.path.join(docs, '*.rst')):
        with open(page) as f:
            book += f.read()
    for p, n, _, a, o in kdoc:
        t = src.text(a)
        if t is not None and 'doc' in o:
            m = re.search(r'^\s*\*\s*DOC:\s*' + re.escape(o['doc']) +
                          r'\s*$(.*?)\*/', t, re.M | re.S)
            book += m.group(1) if m else ''

    def undocumented(path, text):
        out = []
        for name in EXPORT_RE.findall(text):
            if path not in exported_files and \
               name not in covered.get(path, ()):
                out.append('%s: %s is in no kernel-doc directive' %
                           (path, name))
                continue
            data = re.search(r'^[\w\s]*\b' + re.escape(name) + r'\s*(\[\])?\s*=',
                             text, re.M)
            if data:
                # a variable: kernel-doc of 6.12 cannot document it
                if not re.search(r'\b' + re.escape(name) + r'\b', book):
                    out.append('%s: exported variable %s is named nowhere '
                               'in the book' % (path, name))
            elif not has_kdoc(text, name):
                out.append('%s: %s has no kernel-doc comment' % (path, name))
        return out

    bad = []
    for path in sorted(glob.glob(os.path.join(root, 'drivers/gpu/drm/phyr/*.c'))):
        rel = os.path.relpath(path, root)
        bad += undocumented(rel, src.text(rel))
    cases.append(('exports-documented', bad))

    bad = []
    for path in sorted(src.patched):
        bad += undocumented(path, ''.join(src.patched[path]))
    cases.append(('patch-exports-documented', bad))

    bad = []
    for p, n, name, a, _ in dirs:
        if name in ('kernel-figure', 'kernel-image', 'figure', 'image',
                    'include', 'literalinclude') and \
           not os.path.isfile(os.path.join(docs, a)):
            bad.append('%s:%d: %s:: %s: no such file in docs/' %
                       (p, n, name, a))
    cases.append(('figures', bad))

    bad = []
    pages = {os.path.basename(f)[:-4]
             for f in glob.glob(os.path.join(docs, '*.rst'))}
    entries = set()
    index = os.path.join(docs, 'index.rst')
    if os.path.isfile(index):
        with open(index) as f:
            lines = f.read().splitlines()
        intree = False
        for line in lines:
            if line.startswith('.. toctree::'):
                intree = True
                continue
            if intree:
                if line and not line[0].isspace():
                    intree = False
                elif line.strip() and not line.strip().startswith(':'):
                    entries.add(line.strip())
    else:
        bad.append('no index.rst')
    bad += ['page %s.rst is in no toctree' % p
            for p in sorted(pages - entries - {'index'})]
    bad += ['toctree entry %s has no page' % e for e in sorted(entries - pages)]
    cases.append(('toctree', bad))
    return cases


def main(argv):
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../..'))
    docs = results = None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ('--root', '--docs', '--results') and args:
            v = args.pop(0)
            if a == '--root':
                root = os.path.abspath(v)
            elif a == '--docs':
                docs = os.path.abspath(v)
            else:
                results = v
        else:
            print(__doc__, file=sys.stderr)
            return 2
    docs = docs or os.path.join(root, 'docs')
    cases = check(root, docs)
    lines = ['1..%d' % len(cases)]
    for name, bad in cases:
        if bad:
            lines.append('FAIL %s [host] %s' % (name, '; '.join(bad)))
        else:
            lines.append('PASS %s [host]' % name)
    out = '\n'.join(lines) + '\n'
    sys.stdout.write(out)
    if results:
        with open(results, 'w') as f:
            f.write(out)
    return 1 if any(bad for _, bad in cases) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
