#!/usr/bin/env python3
"""
Checks that a golden15 run of this branch differs from the baseline only by the three determinism rules
(source-date-epoch, apt-cleanup, pip-compile): their findings in lint (json, text, sarif) and their fixes in
fix --dry-run. Usage: golden-determinism.py <baseline dir> <run dir> <corpus files dir>
  lint.json : the new rules' findings removed and the summary recounted, equal to the baseline's.
  lint.txt  : their lines and the summary line removed, equal.
  lint.sarif: their results and rule entries removed (ruleIndex renumbered), equal but for the summary-free parts.
  fix.txt   : both diffs applied (patch) to copies of the corpus; taking out of the fixed files the whole
              `ARG SOURCE_DATE_EPOCH` lines, ` && rm -rf <apt-cleanup paths>` and `--no-compile`, the two trees are equal.
  fix.err   : the lines naming their fixes or findings removed, equal but for the summary line.
"""
import json, os, re, shutil, subprocess, sys, tempfile

NEW = {'source-date-epoch', 'apt-cleanup', 'pip-compile'}
base, run, corpus = sys.argv[1:4]
ok = True

def report(name, same, detail=''):
    global ok
    ok &= same
    print(f"{name}: {'only the determinism rules differ' if same else 'OTHER DIFFERENCES'}{detail}")

def load(d, f):
    with open(os.path.join(d, f), encoding='utf8') as h:
        return h.read()

# lint.json
def recount(doc, drop):
    n_new = 0
    for f in doc['files']:
        kept = [x for x in f['findings'] if x['rule'] not in drop]
        n_new += len(f['findings']) - len(kept)
        f['findings'] = kept
    s = doc['summary']
    s['findings'] = sum(len(f['findings']) for f in doc['files'])
    s['filesWithFindings'] = sum(1 for f in doc['files'] if f['findings'])
    s['severities'] = {k: sum(1 for f in doc['files'] for x in f['findings'] if x['severity'] == k) for k in s['severities']}
    return doc, n_new

b_json, _ = recount(json.loads(load(base, 'lint.json')), set())
r_raw = json.loads(load(run, 'lint.json'))
by_rule = {}
for f in r_raw['files']:
    for x in f['findings']:
        if x['rule'] in NEW: by_rule[x['rule']] = by_rule.get(x['rule'], 0) + 1
r_json, n_new = recount(r_raw, NEW)
report('lint.json', b_json == r_json and json.loads(load(base, 'lint.json'))['summary'] == b_json['summary'], f' ({n_new} findings removed: {by_rule})')

# lint.txt
pat = re.compile(r':\d+:\d+: \w+ (%s) ' % '|'.join(NEW))
strip_txt = lambda t: [l for l in t.splitlines() if not pat.search(l) and not re.match(r'^\d+ findings? \(', l)]
report('lint.txt', strip_txt(load(base, 'lint.txt')) == strip_txt(load(run, 'lint.txt')))

# lint.sarif
def sarif(t, drop):
    doc = json.loads(t)
    r = doc['runs'][0]
    rules = r['tool']['driver']['rules']
    kept = [x for x in rules if x['id'] not in drop]
    index = {x['id']: i for i, x in enumerate(kept)}
    r['tool']['driver']['rules'] = kept
    r['results'] = [dict(x, ruleIndex=index[x['ruleId']]) for x in r['results'] if x['ruleId'] not in drop]
    return doc
bs, rs = sarif(load(base, 'lint.sarif'), set()), sarif(load(run, 'lint.sarif'), NEW)
# A rule's fullDescription is read from its docs page: pages main changed after the baseline was taken differ too.
b_rules, r_rules = bs['runs'][0]['tool']['driver'].pop('rules'), rs['runs'][0]['tool']['driver'].pop('rules')
described = [x['id'] for x, y in zip(b_rules, r_rules) if x != y]
same_ids = [x['id'] for x in b_rules] == [x['id'] for x in r_rules] and all(x == y for x, y in zip(b_rules, r_rules) if x['id'] not in described)
report('lint.sarif', bs == rs and same_ids, f' (results equal; rule entries whose docs text differs from the baseline: {described})')

# fix.txt: apply both diffs, take the three fixes' edits out, compare the trees
PATHS = r'(?:/var/log/dpkg\.log|/var/log/apt/\*|/var/log/alternatives\.log|/var/cache/apt/\*\.bin|/var/cache/ldconfig/aux-cache|/var/lib/apt/lists/\*)'
RM = re.compile(r' && rm -rf %s(?: %s)*' % (PATHS, PATHS))
def fixed_tree(diff):
    d = tempfile.mkdtemp(prefix='golden-det-')
    shutil.copytree(corpus, os.path.join(d, 'files'))
    p = subprocess.run(['patch', '-p1', '-s', '-d', d], input=diff.encode(), capture_output=True)
    if p.returncode != 0: sys.exit(f'patch failed: {p.stdout.decode()} {p.stderr.decode()}')
    return os.path.join(d, 'files')
def untouched(text):
    text = re.sub(r'(^|(?<=\r\n)|(?<=\r)|(?<=\n))ARG SOURCE_DATE_EPOCH(\r\n|\r|\n)', '', text)
    text = re.sub(r'(\r\n|\r|\n)ARG SOURCE_DATE_EPOCH$', '', text)
    text = RM.sub('', text)
    return text.replace(', "--no-compile"', '').replace(' --no-compile', '')
bt, rt = fixed_tree(load(base, 'fix.txt')), fixed_tree(load(run, 'fix.txt'))
changed_only_by_new, differing = 0, []
for name in sorted(os.listdir(corpus)):
    b = open(os.path.join(bt, name), encoding='utf8', errors='surrogateescape', newline='').read()
    r = open(os.path.join(rt, name), encoding='utf8', errors='surrogateescape', newline='').read()
    if b == r: continue
    if untouched(b) == untouched(r): changed_only_by_new += 1
    else: differing.append(name)
report('fix.txt', not differing, f' ({changed_only_by_new} files differ only by ARG SOURCE_DATE_EPOCH / rm -rf / --no-compile; other: {differing[:5]})')

# fix.err: a finding left is named at its line in the fixed text, one lower per ARG line inserted above it
def inserted_lines(name):
    b = open(os.path.join(bt, name), encoding='utf8', errors='surrogateescape').read().split('\n')
    r = open(os.path.join(rt, name), encoding='utf8', errors='surrogateescape').read().split('\n')
    at, j = [], 0
    for i, line in enumerate(r):
        if line.rstrip('\r') == 'ARG SOURCE_DATE_EPOCH' and (j >= len(b) or b[j] != line): at.append(i + 1)
        else: j += 1
    return at
inserted = {}
def unshift(line):
    m = re.match(r'^(files/([^:]+)):(\d+):(\d+): (.*)$', line)
    if not m: return line
    name = m.group(2)
    if name not in inserted: inserted[name] = inserted_lines(name) if os.path.exists(os.path.join(rt, name)) else []
    up = lambda n: n - sum(1 for a in inserted[name] if a < n)
    # Lines named in the message ('line 41: the RUN writes …') moved too.
    message = re.sub(r'\bline (\d+)\b', lambda x: f'line {up(int(x.group(1)))}', m.group(5))
    return f'{m.group(1)}:{up(int(m.group(3)))}:{m.group(4)}: {message}'
err_pat = re.compile(r': (would declare ARG SOURCE_DATE_EPOCH|would remove /var/|would add --no-compile)|:\d+:\d+: (%s) left ' % '|'.join(NEW))
def strip_err(t):
    return [re.sub(r'; also \d+ more findings?$', '', l) for l in t.splitlines() if not err_pat.search(l) and 'files scanned' not in l]
be, re_ = strip_err(load(base, 'fix.err')), [unshift(l) for l in strip_err(load(run, 'fix.err'))]
report('fix.err', be == re_, '' if be == re_ else f' first: {[x for x in zip(be, re_) if x[0] != x[1]][:2]}')
print('summary lines:', [l for l in load(base, 'fix.err').splitlines() if 'files scanned' in l], '->', [l for l in load(run, 'fix.err').splitlines() if 'files scanned' in l])
sys.exit(0 if ok else 1)
