#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The phyr patch series: from the clone's files to git commits.

The series is described by patches/series, in review order. Each patch is a
block:

    patch NAME
    	message FILE         the commit message: subject line, blank line, body
    	apply FILE           a diff against the tree (git apply); a file that
    	                     starts with a Subject: header also gives the
    	                     commit message (the text up to "---" or "diff")
    	add PATH [TREEPATH]  a file or a directory of the clone, put at
    	                     TREEPATH in the tree (default: the same path)

Files that grow along the series (Makefiles, Kconfig, shared headers) are
not added whole. A block

    split PATH
    	NAME REGEX
    	NAME REGEX
    	...

cuts the file into parts: each REGEX is searched in order from the line
after the previous match, and the lines from the match up to the next
match belong to the patch NAME. A match inside a comment moves up to the
comment's first line, so that a kernel-doc block goes with what it
documents; "NAME -N REGEX" starts the part N lines above the match
(a blank line that goes with it). At each patch the file holds the parts of the patches up to
it, so every patch adds exactly its own lines and every intermediate tree
builds.

Every file under the overlay directories (OVERLAY) must belong to exactly
one patch or split, so that a new file is never forgotten.

Commands (SRC is a kernel tree with a git repository whose first commit,
tagged phyr-base, is the pristine tarball):

    init SRC TARBALL VERSION   create SRC, or adopt an existing tree
    commit SRC                 build the series on phyr-base as branch
                               phyr-series, print its tip
    checkout SRC               commit, then make SRC's files the tip's,
                               rewriting only files whose content changed
    format SRC OUTDIR VERSION  git format-patch with a cover letter
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
SERIES = os.path.join(ROOT, 'patches', 'series')
OVERLAY = ['drivers/gpu/drm/phyr', 'include', 'docs']
BASE_TAG = 'phyr-base'
BRANCH = 'phyr-series'


def die(msg):
    sys.stderr.write('[phyr] error: %s\n' % msg)
    sys.exit(1)


def log(msg):
    import time
    sys.stderr.write('[phyr %s] %s\n' % (time.strftime('%H:%M:%S'), msg))


def git(src, *args, env=None, input=None, check=True):
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run(['git', '-c', 'gc.auto=0', '-C', src] + list(args), env=e, input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and r.returncode:
        die('git %s: %s' % (' '.join(args[:3]),
                             r.stderr.decode(errors='replace').strip()))
    return r.stdout.decode(errors='replace').strip()


class Patch:
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.message = None
        self.applies = []
        self.adds = []        # (clone path, tree path) of single files


def parse_series(path=SERIES):
    patches, splits = [], {}
    cur = split = None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip('\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            if split is not None and line.startswith('\t'):
                name, _, rx = line.strip().partition(' ')
                splits[split].append((name, rx.strip(), n))
                continue
            words = line.split()
            where = '%s:%d' % (os.path.relpath(path, ROOT), n)
            if words[0] == 'patch' and len(words) == 2:
                cur, split = Patch(words[1], n), None
                if any(p.name == cur.name for p in patches):
                    die('%s: patch %s named twice' % (where, cur.name))
                patches.append(cur)
            elif words[0] == 'split' and len(words) == 2:
                cur, split = None, words[1]
                splits[split] = []
            elif cur is None:
                die('%s: "%s" outside a patch block' % (where, words[0]))
            elif words[0] == 'message' and len(words) == 2:
                cur.message = words[1]
            elif words[0] == 'apply' and len(words) == 2:
                cur.applies.append(words[1])
            elif words[0] == 'add' and len(words) in (2, 3):
                frm = words[1]
                to = words[2] if len(words) == 3 else frm
                full = os.path.join(ROOT, frm)
                if os.path.isdir(full):
                    for d, dirs, files in os.walk(full):
                        dirs.sort()
                        for fn in sorted(files):
                            rel = os.path.relpath(os.path.join(d, fn), ROOT)
                            cur.adds.append((rel, to + rel[len(frm):]))
                elif os.path.isfile(full):
                    cur.adds.append((frm, to))
                else:
                    die('%s: %s does not exist' % (where, frm))
            else:
                die('%s: cannot parse "%s"' % (where, line.strip()))
    return patches, splits


def split_file(path, spec, names):
    """Returns the file's lines, each with the index of the patch it belongs to."""
    with open(os.path.join(ROOT, path)) as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    owner = [None] * len(lines)
    starts = []
    pos = 0
    for name, rx, n in spec:
        if name not in names:
            die('patches/series:%d: %s: no patch named %s' % (n, path, name))
        back = 0
        m = re.match(r'^-(\d+) (.*)$', rx)
        if m:
            back, rx = int(m.group(1)), m.group(2)
        r = re.compile(rx)
        for i in range(pos, len(lines)):
            if r.search(lines[i]):
                break
        else:
            die('patches/series:%d: %s: no line matches /%s/ after line %d '
                '(the file changed: update the split)' % (n, path, rx, pos))
        start = i
        # a match inside a comment: take the comment from its first line
        if re.match(r'\s*\*', lines[i]) and not re.match(r'\s*\*/', lines[i]):
            j = i
            while j > 0 and re.match(r'\s*\*', lines[j]):
                j -= 1
            if re.match(r'\s*/\*', lines[j]):
                start = max(j, pos if starts else 0)
        start -= back
        if starts and start < starts[-1][0]:
            die('patches/series:%d: %s: /%s/ overlaps the part before' % (n, path, rx))
        starts.append((start, names.index(name)))
        pos = i + 1
    if not starts or starts[0][0] != 0:
        die('%s: the first part of the split must start at line 1' % path)
    for k, (s, idx) in enumerate(starts):
        e = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        for i in range(s, e):
            owner[i] = idx
    return list(zip(lines, owner))


def message_of(p):
    """Subject and body of patch p."""
    if p.message:
        with open(os.path.join(ROOT, p.message)) as f:
            text = f.read().strip('\n')
        subject, _, body = text.partition('\n')
        return subject.strip(), body.strip('\n')
    for a in p.applies:
        with open(os.path.join(ROOT, a)) as f:
            text = f.read()
        m = re.search(r'^Subject: (?:\[PATCH[^]]*\] )?(.*)$', text, re.M)
        if not m:
            continue
        rest = text[m.end():].split('\n')
        body = []
        for line in rest:
            if line == '---' or line.startswith('diff '):
                break
            body.append(line)
        return m.group(1).strip(), '\n'.join(body).strip('\n')
    die('patch %s has no commit message (message FILE, or a Subject: in its diff)' % p.name)


def author():
    a = os.environ.get('PHYR_AUTHOR')
    if not a:
        name = git(ROOT, 'config', 'user.name', check=False)
        mail = git(ROOT, 'config', 'user.email', check=False)
        if not name or not mail:
            die('no author: set PHYR_AUTHOR="Name <email>" or git config user.name/user.email')
        a = '%s <%s>' % (name, mail)
    m = re.match(r'^\s*(.+?)\s*<([^>]+)>\s*$', a)
    if not m:
        die('PHYR_AUTHOR must read "Name <email>"')
    return m.group(1), m.group(2)


def check_coverage(patches, splits):
    claimed = {}
    for p in patches:
        for frm, _ in p.adds:
            if frm in claimed:
                die('%s is in patch %s and in patch %s' % (frm, claimed[frm], p.name))
            claimed[frm] = p.name
    for s in splits:
        if s in claimed:
            die('%s is split and also added whole by patch %s' % (s, claimed[s]))
        claimed[s] = 'split'
    missing = []
    for top in OVERLAY:
        for d, dirs, files in os.walk(os.path.join(ROOT, top)):
            for fn in files:
                rel = os.path.relpath(os.path.join(d, fn), ROOT)
                if rel not in claimed:
                    missing.append(rel)
    if missing:
        die('not in any patch of patches/series: %s' % ' '.join(sorted(missing)))


def tree_path_of(path, patches):
    for p in patches:
        for frm, to in p.adds:
            if frm == path:
                return to
    return path


def commit_series(src):
    patches, splits = parse_series()
    names = [p.name for p in patches]
    check_coverage(patches, splits)
    parts = {path: split_file(path, spec, names) for path, spec in splits.items()}
    name, mail = author()
    date = git(ROOT, 'log', '-1', '--format=%cd', '--date=raw', check=False) or '1767225600 +0000'
    env = {'GIT_AUTHOR_NAME': name, 'GIT_AUTHOR_EMAIL': mail,
           'GIT_COMMITTER_NAME': name, 'GIT_COMMITTER_EMAIL': mail,
           'GIT_AUTHOR_DATE': date, 'GIT_COMMITTER_DATE': date}
    base = git(src, 'rev-parse', '--verify', '-q', BASE_TAG + '^{commit}', check=False)
    if not base:
        die('%s has no %s commit (run: series.py init)' % (src, BASE_TAG))
    tmp = tempfile.mkdtemp(prefix='phyr-series.')
    try:
        env['GIT_INDEX_FILE'] = os.path.join(tmp, 'index')
        git(src, 'read-tree', base, env=env)
        parent = base
        for k, p in enumerate(patches):
            for a in p.applies:
                r = subprocess.run(['git', '-C', src, 'apply', '--cached', '--whitespace=nowarn',
                                    os.path.join(ROOT, a)], env=dict(os.environ, **env),
                                   stderr=subprocess.PIPE)
                if r.returncode:
                    die('%s does not apply after patch %d (%s):\n%s' % (
                        a, k, patches[k - 1].name if k else 'base',
                        r.stderr.decode(errors='replace')))
            files = [(os.path.join(ROOT, frm), to) for frm, to in p.adds]
            for path, lines in parts.items():
                if any(o == k for _, o in lines):
                    text = ''.join(ln + '\n' for ln, o in lines if o <= k)
                    blob = git(src, 'hash-object', '-w', '--stdin', input=text.encode())
                    git(src, 'update-index', '--add', '--cacheinfo',
                        '100644,%s,%s' % (blob, tree_path_of(path, patches)), env=env)
            for full, to in files:
                blob = git(src, 'hash-object', '-w', full)
                mode = '100755' if os.access(full, os.X_OK) else '100644'
                git(src, 'update-index', '--add', '--cacheinfo',
                    '%s,%s,%s' % (mode, blob, to), env=env)
            tree = git(src, 'write-tree', env=env)
            subject, body = message_of(p)
            msg = subject + '\n\n' + (body + '\n\n' if body else '') + \
                'Signed-off-by: %s <%s>\n' % (name, mail)
            parent = git(src, 'commit-tree', tree, '-p', parent, env=env,
                         input=msg.encode())
    finally:
        shutil.rmtree(tmp)
    git(src, 'update-ref', 'refs/heads/' + BRANCH, parent)
    return parent


def init(src, tarball, version):
    """Makes src a git repository whose first commit is the tarball."""
    if git(src, 'rev-parse', '--verify', '-q', BASE_TAG, check=False) if os.path.isdir(os.path.join(src, '.git')) else '':
        return
    gitenv = {'GIT_AUTHOR_NAME': 'Debian', 'GIT_AUTHOR_EMAIL': 'linux-source-6.12@debian',
              'GIT_COMMITTER_NAME': 'Debian', 'GIT_COMMITTER_EMAIL': 'linux-source-6.12@debian',
              'GIT_AUTHOR_DATE': '1767225600 +0000', 'GIT_COMMITTER_DATE': '1767225600 +0000'}
    msg = ('Linux %s (Debian linux-source-6.12, %s)\n' % (version, os.path.basename(tarball))).encode()
    if os.path.isdir(src):
        # A tree extracted by an earlier build, with the overlay copied in:
        # record the pristine tarball as the base commit without touching
        # the tree's files, so that the next checkout rewrites only what
        # differs (the build directory stays valid).
        log('adopting %s: recording linux %s as its base commit (once)' % (src, version))
        tmp = tempfile.mkdtemp(prefix='phyr-base.', dir=os.path.dirname(src))
        try:
            subprocess.run(['tar', '-xJf', tarball, '-C', tmp, '--strip-components=1'], check=True)
            shutil.rmtree(os.path.join(src, '.git'), ignore_errors=True)
            git(src, 'init', '-q')
            gd = os.path.join(src, '.git')
            git(tmp, '--git-dir', gd, '--work-tree', tmp, 'add', '-A', '-f', '.', env=gitenv)
            git(tmp, '--git-dir', gd, '--work-tree', tmp, 'commit', '-q', '--no-verify',
                '-F', '-', env=gitenv, input=msg)
        finally:
            shutil.rmtree(tmp)
        for f in ('.phyr-extracted', '.phyr-overlay', 'Kconfig.phyr'):
            if os.path.exists(os.path.join(src, f)):
                os.unlink(os.path.join(src, f))
        for d in ('.phyr-upstream', '.phyr-pristine'):
            shutil.rmtree(os.path.join(src, d), ignore_errors=True)
        open(os.path.join(src, '.git', 'phyr-adopted'), 'w').close()
    else:
        log('extracting linux %s into %s (once)' % (version, src))
        tmp = src + '.tmp'
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        subprocess.run(['tar', '-xJf', tarball, '-C', tmp, '--strip-components=1'], check=True)
        log('recording it as the base commit of a git repository')
        git(tmp, 'init', '-q')
        git(tmp, 'add', '-A', '-f', '.', env=gitenv)
        git(tmp, 'commit', '-q', '--no-verify', '-F', '-', env=gitenv, input=msg)
        finish_repo(tmp)
        os.rename(tmp, src)
        return
    finish_repo(src)


def finish_repo(d):
    git(d, 'config', 'gc.auto', '0')
    git(d, 'config', 'core.untrackedCache', 'true')
    # last: a tree with the tag is complete
    git(d, 'tag', BASE_TAG)


def checkout(src):
    tip = commit_series(src)
    adopted = os.path.join(src, '.git', 'phyr-adopted')
    head = git(src, 'rev-parse', '-q', '--verify', 'HEAD', check=False)
    if os.path.exists(adopted):
        # The index does not describe the tree's files yet (an adopted
        # tree): give it the tip's content and the stat data of every file
        # that already has it, so that the reset writes only the others.
        git(src, 'read-tree', tip)
        subprocess.run(['git', '-c', 'gc.auto=0', '-C', src, 'update-index', '-q',
                        '--refresh'], stdout=subprocess.DEVNULL)
        changed = git(src, 'diff-files', '--name-only')
    else:
        if head == tip and not git(src, 'status', '--porcelain', '-uno'):
            log('tree: %s is at the series (%s), nothing to write' % (src, tip[:12]))
            return tip
        # files the reset writes: those of the new tip and, with them,
        # whatever was changed in the tree by hand
        changed = git(src, 'diff', '--name-only', tip)
    # HEAD is detached, so that committing the series (make patches) never
    # moves what the tree has checked out
    if head:
        git(src, 'update-ref', '--no-deref', 'HEAD', head)
    git(src, 'reset', '-q', '--hard', tip)
    gone = git(src, 'clean', '-fd', '-n')
    git(src, 'clean', '-fdq')
    if os.path.exists(adopted):
        os.unlink(adopted)
    files = changed.split('\n') if changed else []
    log('tree: checked out the series (%s), %d file(s) written%s' % (
        tip[:12], len(files), ': ' + ' '.join(files[:5]) + (' ...' if len(files) > 5 else '')
        if files else ''))
    if gone:
        log('tree: removed what no patch has: %s' % gone.replace('\n', ' ')[:300])
    return tip


COVER = os.path.join(ROOT, 'patches', 'cover-letter')


def format_series(src, outdir, version):
    tip = commit_series(src)
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.endswith('.patch'):
            os.unlink(os.path.join(outdir, f))
    git(src, 'format-patch', '-q', '--cover-letter', '--no-signature',
        '--subject-prefix=' + os.environ.get('PHYR_SUBJECT_PREFIX', 'PATCH'),
        '-o', outdir, BASE_TAG + '..' + tip)
    cover = sorted(f for f in os.listdir(outdir) if f.startswith('0000-'))[0]
    with open(COVER) as f:
        text = f.read().strip('\n')
    text = text.replace('@VERSION@', version)
    subject, _, blurb = text.partition('\n')
    path = os.path.join(outdir, cover)
    with open(path) as f:
        c = f.read()
    c = c.replace('*** SUBJECT HERE ***', subject.strip())
    c = c.replace('*** BLURB HERE ***', blurb.strip('\n'))
    with open(path, 'w') as f:
        f.write(c)
    return tip


def main():
    if len(sys.argv) < 3:
        die(__doc__)
    cmd, src = sys.argv[1], sys.argv[2]
    if cmd == 'init' and len(sys.argv) == 5:
        init(src, sys.argv[3], sys.argv[4])
    elif cmd == 'commit':
        print(commit_series(src))
    elif cmd == 'checkout':
        print(checkout(src))
    elif cmd == 'format' and len(sys.argv) == 5:
        print(format_series(src, sys.argv[3], sys.argv[4]))
    else:
        die('usage: series.py init|commit|checkout|format SRC [...]')


if __name__ == '__main__':
    main()
