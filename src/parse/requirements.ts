/** pip requirement specifiers (PEP 508 / pip CLI forms) and requirements files, as far as pinning needs. */

export type PinState =
  | { pinned: true }
  | { pinned: false; reason: 'unpinned' | 'range' | 'wildcard' | 'vcs-ref' | 'url-no-hash'; name?: string };

const VCS = /^(git|hg|svn|bzr)\+/i;
const FULL_COMMIT = /^[0-9a-f]{40}$/i;

/** Whether a requirement as given to `pip install` names one exact artifact. */
export function pipPinState(spec: string): PinState {
  const s = spec.trim();
  if (VCS.test(s) || /^[a-z]+\+?[a-z]*:\/\//i.test(s) || / @ /.test(s)) return urlPinState(s);
  // Local paths: a folder, a wheel or an sdist on disk are what they are.
  if (s === '.' || s.startsWith('./') || s.startsWith('../') || s.startsWith('/') || s.startsWith('~')) return { pinned: true };
  if (/\.(whl|tar\.gz|tgz|zip|tar\.bz2)$/i.test(s) || s.includes('/')) return { pinned: true };
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$/s.exec(s);
  if (!m) return { pinned: false, reason: 'unpinned' };
  const name = m[1];
  const rest = m[3].split(';')[0].trim();
  if (rest === '') return { pinned: false, reason: 'unpinned', name };
  const clauses = rest.replace(/^\(|\)$/g, '').split(',').map((c) => c.trim());
  for (const c of clauses) {
    if (/^===\s*\S+$/.test(c)) return { pinned: true };
    const eq = /^==\s*(\S+)$/.exec(c);
    if (eq) return eq[1].includes('*') ? { pinned: false, reason: 'wildcard', name } : { pinned: true };
  }
  return { pinned: false, reason: 'range', name };
}

/** A direct URL / VCS requirement is pinned by a hash fragment or a full commit id. */
function urlPinState(s: string): PinState {
  const url = s.includes(' @ ') ? s.slice(s.indexOf(' @ ') + 3).trim() : s;
  if (/[#&](sha256|sha384|sha512)=[0-9a-f]+/i.test(url)) return { pinned: true };
  if (VCS.test(url)) {
    const path = url.replace(/#.*$/, '').replace(/^[^:]+:\/\//, '');
    const at = path.lastIndexOf('@');
    const slash = path.indexOf('/');
    // `user@host/…` is a credential, not a ref: the ref `@` comes after the first path slash.
    const ref = at > slash && slash >= 0 ? path.slice(at + 1) : undefined;
    if (ref && FULL_COMMIT.test(ref)) return { pinned: true };
    return { pinned: false, reason: 'vcs-ref' };
  }
  if (url.startsWith('file:')) return { pinned: true };
  return { pinned: false, reason: 'url-no-hash' };
}

export interface RequirementLine {
  /** 1-based line number in the requirements file. */
  line: number;
  spec: string;
  /** `-r other.txt` / `-c other.txt` references found in the file. */
  include?: { kind: 'requirement' | 'constraint'; path: string };
  hashes: boolean;
  editable: boolean;
}

/** Requirement lines of a requirements file: comments, blank lines and global options skipped. */
export function parseRequirementsFile(text: string): RequirementLine[] {
  const out: RequirementLine[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i];
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i];
    line = line.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const inc = /^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)/.exec(line);
    if (inc) {
      const kind = inc[1] === '-r' || inc[1] === '--requirement' ? 'requirement' : 'constraint';
      out.push({ line: first, spec: '', include: { kind, path: inc[2] }, hashes: false, editable: false });
      continue;
    }
    const editable = /^(-e|--editable)(?:\s*=\s*|\s+)/.exec(line);
    if (editable) line = line.slice(editable[0].length);
    else if (line.startsWith('-')) continue; // --index-url, --find-links, … apply to the whole file
    const hashes = /\s--hash[=\s]/.test(line);
    const spec = line.replace(/\s+--\S+(?:[=\s]\S+)?/g, '').trim();
    out.push({ line: first, spec, hashes, editable: !!editable });
  }
  return out;
}
