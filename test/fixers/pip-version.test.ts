/**
 * The pip-version fixer through the fix engine, against a package index served on loopback from the static
 * fixture folders in test/fixtures/pypi (PEP 691 JSON or PEP 503 HTML by the Accept header, and a PyPI
 * project JSON API): unpinned pip requirements become `==` the version an unpinned install gets today for
 * the image's Python, keeping the bytes around the specifier.
 */
import { mkdtempSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildContext } from '../../src/context';
import { applyEdits } from '../../src/edit/apply';
import { fixText, type FixOutcome } from '../../src/fix';
import fixer, { createPipVersionFixer } from '../../src/fixers/pip-version';
import type { Fixer } from '../../src/fixers/types';
import { HttpClient } from '../../src/resolve/http';
import { ImagePinner } from '../../src/resolve/images';
import { LockFile } from '../../src/resolve/lock';
import { RegistryClient } from '../../src/resolve/registry';
import rule from '../../src/rules/pip-pin';
import { startPypiServer, type PypiServer } from '../helpers/pypiServer';
import { workspace } from '../helpers/workspace';
import { Lookups } from '../../src/resolve/shared';
import { withFixer } from '../helpers/fixerTable';

const ROOT = join(__dirname, '../fixtures/pypi');
let server: PypiServer;
let MAIN: string;
let EXTRA: string;

beforeAll(async () => {
  server = await startPypiServer(ROOT);
  MAIN = `${server.url}/main/simple/`;
  EXTRA = `${server.url}/extra/simple`;
});
afterAll(() => server.close());
beforeEach(() => {
  server.log.length = 0;
  server.faults.clear();
});

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  lock?: LockFile;
  offline?: boolean;
  http?: HttpClient;
  lookups?: Lookups;
  images?: ImagePinner;
  fixer?: Fixer;
  buildContext?: BuildContext;
  noPackages?: boolean;
  writeContext?: boolean;
  pythonVersion?: string;
}

/** Fixes `text` with pip-pin's findings only; the index is the fixture one (PIP_INDEX_URL / UV_INDEX_URL of the run) unless `env` says otherwise. */
async function fix(text: string, o: RunOptions = {}): Promise<FixOutcome & { http: HttpClient }> {
  const http = o.http ?? new HttpClient({ retries: 0, timeoutMs: 5000 });
  const lookups = o.lookups ?? new Lookups();
  const f = o.fixer ?? fixer;
  const out = await fixText(text, {
    rules: [rule],
    unsafe: false,
    offline: !!o.offline,
    baseId: 10001,
    pythonVersion: o.pythonVersion,
    fixers: withFixer(f),
    buildContext: o.buildContext,
    writeContext: o.writeContext,
    images: o.images,
    packages: o.noPackages
      ? undefined
      : { http, lock: o.lock, offline: !!o.offline, refresh: false, lookups, env: o.env ?? { PIP_INDEX_URL: MAIN, UV_INDEX_URL: MAIN }, dir: tmpdir(), archives: {}, now: () => new Date('2026-11-25T12:00:00Z') },
    lookups,
  });
  return { ...out, http };
}

const titles = (r: FixOutcome) => r.applied.map((a) => a.title);
const reasons = (r: FixOutcome) => r.left.map((l) => `${l.left}: ${l.reason}`);
const requested = (path: string) => server.log.filter((l) => l.path === path).length;

describe('pip-version fixer', () => {
  it('kind is pip-version', () => {
    expect(fixer.kind).toBe('pip-version');
  });

  describe("the image's Python decides (Requires-Python)", () => {
    it('FROM python:3.7.3-stretch: a newer flask that drops Python 3.7 is not chosen', async () => {
      const r = await fix('FROM python:3.7.3-stretch\nRUN pip install flask\n');
      expect(r.text).toBe('FROM python:3.7.3-stretch\nRUN pip install flask==2.2.5\n');
      expect(titles(r)).toEqual(["pin pip requirement 'flask' → 'flask==2.2.5' (newest release for Python 3.7.3; 3.1.0 requires Python >=3.9)"]);
      expect(r.left).toEqual([]);
    });

    it('FROM python:3.12-slim: the newest release', async () => {
      const r = await fix('FROM python:3.12-slim\nRUN pip install flask\n');
      expect(r.text).toBe('FROM python:3.12-slim\nRUN pip install flask==3.1.0\n');
      expect(titles(r)).toEqual(["pin pip requirement 'flask' → 'flask==3.1.0' (newest release for Python 3.12)"]);
    });

    it('FROM python:3.8: 3.0.3 (a minor-only tag is any patch release of it)', async () => {
      const r = await fix('FROM docker.io/library/python:3.8-alpine\nRUN pip install flask\n');
      expect(r.text).toContain('flask==3.0.3');
    });

    it('follows FROM <stage> to the stage that names the image', async () => {
      const r = await fix('FROM python:3.7.3-slim AS base\nFROM base AS build\nRUN pip install flask\nFROM build\nRUN pip install flask-sqlalchemy\n');
      expect(r.text).toBe('FROM python:3.7.3-slim AS base\nFROM base AS build\nRUN pip install flask==2.2.5\nFROM build\nRUN pip install flask-sqlalchemy==3.0.5\n');
    });

    it('a mirror of the python image counts (*/python:3.11-…)', async () => {
      const r = await fix('FROM registry.example.com/mirror/python:3.7-bookworm\nRUN pip install flask\n');
      expect(r.text).toContain('flask==2.2.5');
    });

    it('python3.7 -m pip / pip3.7: that interpreter, whatever the image', async () => {
      const r = await fix('FROM ubuntu:18.04\nRUN python3.7 -m pip install flask && pip3.7 install flask-sqlalchemy\n');
      expect(r.text).toBe('FROM ubuntu:18.04\nRUN python3.7 -m pip install flask==2.2.5 && pip3.7 install flask-sqlalchemy==3.0.5\n');
    });

    it('--python-version on the command wins over the image', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install --python-version 3.7 --target /out --only-binary=:all: flask\n');
      expect(r.text).toContain(' flask==2.2.5\n');
    });

    it('a non-python image read from nowhere: Python version unknown → left (a pin for the wrong Python breaks the build)', async () => {
      const r = await fix('FROM ubuntu:16.04\nRUN apt-get install -y python3-pip && pip3 install flask\n');
      expect(r.text).toBe('FROM ubuntu:16.04\nRUN apt-get install -y python3-pip && pip3 install flask\n');
      expect(reasons(r)).toEqual([expect.stringMatching(/^no-fixer: Python version of this stage unknown: .*rules\.pip-pin\.python-version/)]);
      expect(server.log).toEqual([]);
    });

    it('rules.pip-pin.python-version answers when the image does not tell', async () => {
      const r = await fix('FROM ubuntu:16.04\nRUN pip3 install flask\n', { pythonVersion: '3.7' });
      expect(r.text).toBe('FROM ubuntu:16.04\nRUN pip3 install flask==2.2.5\n');
      expect(titles(r)[0]).toContain('for Python 3.7');
    });

    it('python:3 without an image resolver: unknown, left (the real run reads the image)', async () => {
      const text = readFileSync(join(__dirname, '../../examples/seed-broken/Dockerfile'), 'utf8');
      const r = await fix(text);
      expect(r.text).toBe(text);
      expect(reasons(r)).toEqual([expect.stringContaining('Python version of this stage unknown')]);
    });

    it('python:3 with an image resolver: the precise tag it finds (here from the lock: 3.7.17)', async () => {
      const lock = new LockFile(join(mkdtempSync(join(tmpdir(), 'pip-lock-')), 'dockrepro.lock.json'));
      lock.set('docker.io/library/python:3', { tag: '3.7.17', digest: `sha256:${'a'.repeat(64)}`, mediaType: 'application/vnd.oci.image.index.v1+json', resolvedAt: '2026-11-25T12:00:00Z' });
      const images = new ImagePinner({ client: new RegistryClient({ retries: 0 }), lock, offline: true, refresh: false, lookups: new Lookups() });
      const r = await fix('FROM python:3\nRUN pip install flask\n', { images });
      expect(r.text).toBe('FROM python:3\nRUN pip install flask==2.2.5\n');
      expect(titles(r)[0]).toContain('for Python 3.7.17');
    });

    it('python:3 whose image lookup fails: unknown, left', async () => {
      const images = new ImagePinner({ client: new RegistryClient({ retries: 0 }), offline: true, refresh: false, lookups: new Lookups() });
      const r = await fix('FROM python:3\nRUN pip install flask\n', { images });
      expect(r.text).toBe('FROM python:3\nRUN pip install flask\n');
      expect(reasons(r)[0]).toContain('Python version of this stage unknown');
    });
  });

  describe('yanked and pre-releases', () => {
    it('a yanked release (3.1.1) and a pre-release (3.2.0rc1) are skipped', async () => {
      const r = await fix('FROM python:3.13\nRUN pip install flask\n');
      expect(r.text).toContain('flask==3.1.0');
    });

    it('--pre allows pre-releases; PIP_PRE too', async () => {
      expect((await fix('FROM python:3.13\nRUN pip install --pre flask\n')).text).toContain('flask==3.2.0rc1');
      expect((await fix('FROM python:3.13\nENV PIP_PRE=1\nRUN pip install flask\n')).text).toContain('flask==3.2.0rc1');
    });

    it('only pre-releases: the newest of them, as pip does', async () => {
      expect((await fix('FROM python:3.13\nRUN pip install onlypre\n')).text).toContain('onlypre==1.0rc2');
    });

    it('HTML index: data-yanked skipped, &gt; in data-requires-python unescaped, eggs and installers ignored', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install requests\nRUN pip install requests\n');
      expect(r.text).toBe('FROM python:3.12\nRUN pip install requests==2.32.3\nRUN pip install requests==2.32.3\n');
      const r37 = await fix('FROM python:3.7\nRUN pip install requests\n');
      expect(r37.text).toContain('requests==2.31.0');
    });
  });

  describe('specifiers', () => {
    it.each([
      ['"flask>=2,<3"', '"flask==2.3.3"'],
      ["'flask (>=2.0, <3.0)'", "'flask==2.3.3'"],
      ['flask~=3.0.0', 'flask==3.0.3'],
      ['flask==2.*', 'flask==2.3.3'],
      ["'flask!=3.1.0'", "'flask==3.0.3'"],
      ['"flask >= 2.3 , < 3"', '"flask==2.3.3"'],
    ])('%s → %s', async (spec, pinned) => {
      const r = await fix(`FROM python:3.12\nRUN pip install ${spec}\n`);
      expect(r.text).toBe(`FROM python:3.12\nRUN pip install ${pinned}\n`);
    });

    it('a range is newest-in-range for the Python too', async () => {
      const r = await fix('FROM python:3.7.3-stretch\nRUN pip install "flask>=2,<3"\n');
      expect(r.text).toContain('"flask==2.2.5"');
      expect(titles(r)).toEqual(["pin pip requirement 'flask>=2,<3' → 'flask==2.2.5' (newest release matching '>=2,<3' for Python 3.7.3; 2.3.3 requires Python >=3.8)"]);
    });

    it('nothing in range: left with the reason, nothing written', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install "flask>=9"\n');
      expect(r.text).toBe('FROM python:3.12\nRUN pip install "flask>=9"\n');
      expect(reasons(r)).toEqual([`failed: 'flask' has no release matching '>=9' that is not yanked and installs on Python 3.12 on ${MAIN.slice(0, -1)}`]);
    });
  });

  describe('bytes around the specifier are kept', () => {
    it('extras, quotes, markers, exec form, line continuations', async () => {
      const text = [
        'FROM python:3.12',
        "RUN pip install 'flask[async]' \\",
        '      "flask[async, dotenv]>=2"  \\',
        `   "flask ; python_version >= '3.8'" "flask>=2,<3;python_version<'3.13'"`,
        'RUN ["pip", "install", "--no-cache-dir", "flask"]',
        'RUN python3 -m pip install -U Flask && python -m pip install flask[dotenv]',
        '',
      ].join('\n');
      const r = await fix(text);
      expect(r.text).toBe(
        [
          'FROM python:3.12',
          "RUN pip install 'flask[async]==3.1.0' \\",
          '      "flask[async, dotenv]==3.1.0"  \\',
          `   "flask==3.1.0 ; python_version >= '3.8'" "flask==2.3.3;python_version<'3.13'"`,
          'RUN ["pip", "install", "--no-cache-dir", "flask==3.1.0"]',
          'RUN python3 -m pip install -U Flask==3.1.0 && python -m pip install flask[dotenv]==3.1.0',
          '',
        ].join('\n'),
      );
      expect(r.left).toEqual([]);
      // One page per project and index, however many requirements name it.
      expect(requested('/main/simple/flask/')).toBe(1);
    });

    it('pip install --upgrade pip setuptools: both pinned for the Python (setuptools from a JSON-only index page)', async () => {
      const r = await fix('FROM python:3.7.3-stretch\nRUN pip install --no-cache-dir --upgrade pip setuptools\n');
      expect(r.text).toBe('FROM python:3.7.3-stretch\nRUN pip install --no-cache-dir --upgrade pip==24.0 setuptools==68.0.0\n');
    });

    it('normalized names in the URL, the name written as it was; HTML when the index has no JSON', async () => {
      const r = await fix('FROM python:3.7\nRUN pip install Flask_SQLAlchemy\n');
      expect(r.text).toBe('FROM python:3.7\nRUN pip install Flask_SQLAlchemy==3.0.5\n');
      const asked = server.log.filter((l) => l.path === '/main/simple/flask-sqlalchemy/');
      expect(asked).toHaveLength(1);
      expect(asked[0].accept).toBe('application/vnd.pypi.simple.v1+json, text/html;q=0.1');
      expect((await fix('FROM python:3.12\nRUN pip install flask.sqlalchemy\n')).text).toContain('flask.sqlalchemy==3.1.1');
    });

    it('pipx and uv install the same way', async () => {
      const r = await fix('FROM python:3.12\nRUN pipx install flask && uv pip install --system "flask>=2,<3" && uv tool install flask\n');
      expect(r.text).toBe('FROM python:3.12\nRUN pipx install flask==3.1.0 && uv pip install --system "flask==2.3.3" && uv tool install flask==3.1.0\n');
    });
  });

  describe('wheel tags', () => {
    it('a release with only Windows/macOS wheels is not installable in the image', async () => {
      expect((await fix('FROM python:3.12\nRUN pip install fastlib\n')).text).toContain('fastlib==1.0');
    });

    it('cp312-only wheels: chosen for Python 3.12, not for 3.11', async () => {
      expect((await fix('FROM python:3.12\nRUN pip install cext\n')).text).toContain('cext==2.0');
      expect((await fix('FROM python:3.11\nRUN pip install cext\n')).text).toContain('cext==1.5');
    });
  });

  describe('which index', () => {
    it('--extra-index-url: the union of both indexes (pip), newest wins', async () => {
      const r = await fix(`FROM python:3.12\nRUN pip install --extra-index-url ${EXTRA} flask internal-lib\n`);
      expect(r.text).toBe(`FROM python:3.12\nRUN pip install --extra-index-url ${EXTRA} flask==3.1.9 internal-lib==0.5.0\n`);
      expect(titles(r)[0]).toBe("pin pip requirement 'flask' → 'flask==3.1.9' (newest release for Python 3.12, from the union of 2 indexes)");
      expect(requested('/main/simple/internal-lib/')).toBe(1); // a 404 on one index is skipped, as pip does
      expect(requested('/extra/simple/internal-lib/')).toBe(1);
    });

    it('ENV PIP_INDEX_URL / PIP_EXTRA_INDEX_URL in the Dockerfile win over the run environment', async () => {
      const r = await fix(`FROM python:3.12\nARG IDX=${EXTRA}\nENV PIP_INDEX_URL=$IDX\nRUN pip install flask\n`);
      expect(r.text).toContain('flask==3.1.9');
      expect(requested('/main/simple/flask/')).toBe(0);
      const r2 = await fix(`FROM python:3.12\nENV PIP_EXTRA_INDEX_URL="${EXTRA}"\nRUN pip install internal-lib\n`);
      expect(r2.text).toContain('internal-lib==0.5.0');
    });

    it('ENV is inherited from the stage built on; a prefix assignment applies to its command only', async () => {
      const r = await fix(`FROM python:3.12 AS a\nENV PIP_INDEX_URL=${EXTRA}\nFROM a\nRUN pip install flask\nFROM python:3.12\nRUN PIP_INDEX_URL=${EXTRA} pip install flask && pip install flask\n`);
      expect(r.text).toBe(`FROM python:3.12 AS a\nENV PIP_INDEX_URL=${EXTRA}\nFROM a\nRUN pip install flask==3.1.9\nFROM python:3.12\nRUN PIP_INDEX_URL=${EXTRA} pip install flask==3.1.9 && pip install flask==3.1.0\n`);
    });

    it('-i on the command wins over ENV', async () => {
      const r = await fix(`FROM python:3.12\nENV PIP_INDEX_URL=${EXTRA}\nRUN pip install -i ${MAIN} flask\n`);
      expect(r.text).toContain('flask==3.1.0');
    });

    it('uv: the first index that has the project (extra indexes first), not the union', async () => {
      const r = await fix(`FROM python:3.12\nRUN uv pip install --system --extra-index-url ${EXTRA} setuptools pip\n`);
      expect(r.text).toBe(`FROM python:3.12\nRUN uv pip install --system --extra-index-url ${EXTRA} setuptools==60.0.0 pip==24.3.1\n`);
      expect(titles(r)[0]).toBe("pin pip requirement 'setuptools' → 'setuptools==60.0.0' (newest release for Python 3.12, from the first of 2 indexes that has it)");
      // pip takes the newest of both indexes; uv with --index-strategy unsafe-best-match too.
      expect((await fix(`FROM python:3.12\nRUN pip install --extra-index-url ${EXTRA} setuptools\n`)).text).toContain('setuptools==75.6.0');
      expect((await fix(`FROM python:3.12\nRUN uv pip install --index-strategy unsafe-best-match --extra-index-url ${EXTRA} setuptools\n`)).text).toContain('setuptools==75.6.0');
    });

    it('uv reads UV_* variables, not PIP_* ones', async () => {
      const r = await fix(`FROM python:3.12\nENV PIP_INDEX_URL=${EXTRA}\nRUN uv pip install --system flask\n`);
      expect(r.text).toContain('flask==3.1.0');
      const r2 = await fix(`FROM python:3.12\nENV UV_INDEX_URL=${EXTRA}\nRUN uv pip install --system flask\n`);
      expect(r2.text).toContain('flask==3.1.9');
    });

    it('other PIP_* variables of the run environment do not apply to the image', async () => {
      const r = await fix('FROM python:3.13\nRUN pip install flask\n', { env: { PIP_INDEX_URL: MAIN, PIP_PRE: '1', PIP_FIND_LINKS: '/wheels' } });
      expect(r.text).toContain('flask==3.1.0');
    });

    it('credentials in the index URL become an Authorization header and stay out of the lock', async () => {
      const lock = new LockFile(join(mkdtempSync(join(tmpdir(), 'pip-lock-')), 'dockrepro.lock.json'));
      const idx = MAIN.replace('http://', 'http://user:s%40cret@');
      const r = await fix(`FROM python:3.12\nRUN pip install -i ${idx} flask\n`, { lock });
      expect(r.text).toContain('flask==3.1.0');
      expect(server.log.find((l) => l.path === '/main/simple/flask/')?.authorization).toBe(`Basic ${Buffer.from('user:s@cret').toString('base64')}`);
      expect(lock.text()).not.toContain('cret');
      expect(lock.text()).not.toContain('user');
      expect(lock.getPackage(`pypi:flask py3.12 ${MAIN.slice(0, -1)}`)?.version).toBe('3.1.0');
    });

    it('pypi.org is the default index (here answered by the lock, offline)', async () => {
      const lock = new LockFile(join(mkdtempSync(join(tmpdir(), 'pip-lock-')), 'dockrepro.lock.json'));
      lock.setPackage('pypi:flask py3.12 https://pypi.org/simple', { version: '3.1.0', resolvedAt: '2026-11-25T12:00:00Z' });
      const r = await fix('FROM python:3.12\nRUN pip install flask\n', { env: {}, lock, offline: true });
      expect(r.text).toContain('flask==3.1.0');
      expect(r.http.requests).toBe(0);
    });

    it('--no-index / --find-links and unknown index values: left for a person', async () => {
      const r = await fix('FROM python:3.12\nARG IDX\nRUN pip install --no-index -f /wheels flask && pip install -i "$IDX" flask && pip install --find-links /w flask\n');
      expect(reasons(r)).toEqual([
        'no-fixer: --no-index: packages come only from --find-links, which dockrepro cannot see',
        'no-fixer: the value of -i is not known',
        'no-fixer: --find-links adds a source dockrepro does not read: the version pip picks may come from there',
      ]);
      expect(server.log).toEqual([]);
    });
  });

  describe('the PyPI JSON API', () => {
    const jsonFixer = () => createPipVersionFixer({ jsonApi: (i) => (i.replace(/\/+$/, '') === `${server.url}/jsonidx/simple` ? `${server.url}/api/pypi` : undefined) });
    const env = () => ({ PIP_INDEX_URL: `${server.url}/jsonidx/simple` });

    it('releases with requires_python and yanked; empty releases and invalid versions ignored', async () => {
      const r = await fix('FROM python:3.9\nRUN pip install Django\nFROM python:3.12\nRUN pip install django\n', { fixer: jsonFixer(), env: env() });
      expect(r.text).toBe('FROM python:3.9\nRUN pip install Django==4.2.16\nFROM python:3.12\nRUN pip install django==5.1.3\n');
      expect(requested('/api/pypi/django/json')).toBe(1);
      expect(server.log.some((l) => l.path.startsWith('/jsonidx/'))).toBe(false);
    });

    it('a JSON document without releases: the simple API instead', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install legacy\n', { fixer: jsonFixer(), env: env() });
      expect(r.text).toContain('legacy==2.0');
      expect(server.log.map((l) => l.path)).toEqual(['/api/pypi/legacy/json', '/jsonidx/simple/legacy/']);
    });

    it('a malformed version is never written', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install bad-version\n', { fixer: jsonFixer(), env: env() });
      expect(r.text).toBe('FROM python:3.12\nRUN pip install bad-version\n');
      expect(r.left[0].left).toBe('failed');
    });
  });

  describe('failures', () => {
    it('a 404 project is left with the reason; the others in the command are still pinned', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install flask no-such-project requests\n');
      expect(r.text).toBe('FROM python:3.12\nRUN pip install flask==3.1.0 no-such-project requests==2.32.3\n');
      expect(reasons(r)).toEqual([`failed: 'no-such-project' was not found on ${MAIN.slice(0, -1)}`]);
    });

    it('malformed index answers', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install broken-json no-files future-api badver flask\n');
      expect(r.text).toBe('FROM python:3.12\nRUN pip install broken-json no-files future-api badver flask==3.1.0\n');
      expect(reasons(r)).toEqual([
        `failed: lookup failed: ${MAIN}broken-json/: the index answer is not valid JSON`,
        `failed: lookup failed: ${MAIN}no-files/: the index answer has no 'files' list (PEP 691)`,
        `failed: lookup failed: ${MAIN}future-api/: simple API version 2.0 is not supported (1.x is)`,
        `failed: 'badver' has no wheel or sdist files on ${MAIN.slice(0, -1)}`,
      ]);
    });

    it('a server error', async () => {
      server.faults.set('/main/simple/flask/', 503);
      const r = await fix('FROM python:3.12\nRUN pip install flask\n');
      expect(r.text).toBe('FROM python:3.12\nRUN pip install flask\n');
      expect(reasons(r)).toEqual([`failed: lookup failed: ${MAIN}flask/: registry server error 503, retries exhausted`]);
    });

    it('no package resolver: needs the network', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install flask\n', { noPackages: true });
      expect(reasons(r)).toEqual(['needs-network: needs a package index lookup']);
    });

    it('URLs, VCS and variables are left for a person', async () => {
      const r = await fix('FROM python:3.12\nARG PKG=flask\nRUN pip install git+https://github.com/pallets/flask@main "$PKG"\n');
      expect(reasons(r)).toEqual([
        "no-fixer: 'git+https://github.com/pallets/flask@main' is installed from a URL or VCS: pin it to a full commit id or add a '#sha256=' hash by hand",
        "no-fixer: 'flask' comes from $PKG: pin it where the variable is set",
      ]);
      expect(server.log).toEqual([]);
    });

    it('a requirement in a copied requirements file: left, naming the file and line', async () => {
      const dir = workspace({ 'requirements.txt': '# deps\nrequests==2.32.3\nflask>=2\n' });
      const r = await fix('FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n', { buildContext: new BuildContext(dir) });
      expect(reasons(r)).toEqual([
        "no-fixer: the requirement is in requirements.txt (line 3), a build-context file: 'dockrepro fix --write-context' pins it there, or pin line 3 of requirements.txt as 'flask==<version>' by hand (or generate the file with pip-compile --generate-hashes)",
      ]);
      expect(r.contextEdits).toEqual([]);
      expect(server.log).toEqual([]);
    });
  });

  describe('requirements files copied from the build context (--write-context)', () => {
    const DF = (install = 'pip install -r requirements.txt', from = 'python:3.12', copy = 'requirements.txt') =>
      `FROM ${from}\nWORKDIR /app\nCOPY ${copy} .\nRUN ${install}\n`;

    /** Fixes `dockerfile` with `files` as its build context and --write-context; `after(rel)` is that file with the context edits applied. */
    async function fixCtx(files: Record<string, string | Buffer>, dockerfile: string, o: RunOptions = {}) {
      const dir = realpathSync(workspace(files));
      const r = await fix(dockerfile, { buildContext: new BuildContext(dir), writeContext: true, ...o });
      const after = (rel: string) => {
        const edits = r.contextEdits.filter((e) => e.path === join(dir, rel)).flatMap((e) => e.edits);
        const unique = edits.filter((e, i) => edits.findIndex((x) => x.start === e.start && x.end === e.end && x.text === e.text) === i);
        return applyEdits(readFileSync(join(dir, rel), 'utf8'), unique);
      };
      return { ...r, dir, after };
    }

    it('an unpinned line gets the version pip installs today: an edit of only the specifier bytes of that file', async () => {
      const r = await fixCtx({ 'requirements.txt': '# deps\nrequests==2.32.3\nflask\n' }, DF());
      expect(r.text).toBe(DF()); // the Dockerfile is not edited
      // `expected` is the text the offsets refer to: the command writes nothing if the file changed meanwhile.
      expect(r.contextEdits).toEqual([{ path: join(r.dir, 'requirements.txt'), root: r.dir, edits: [{ start: 29, end: 29, text: '==3.1.0' }], expected: readFileSync(join(r.dir, 'requirements.txt'), 'utf8') }]);
      expect(titles(r)).toEqual(["pin pip requirement 'flask' → 'flask==3.1.0' in requirements.txt line 3 (newest release for Python 3.12)"]);
      expect(r.applied[0]).toMatchObject({ rule: 'pip-pin', applicability: 'safe' });
      expect(r.left).toEqual([]); // fixed in the file: not left in the Dockerfile
      expect(r.after('requirements.txt')).toBe('# deps\nrequests==2.32.3\nflask==3.1.0\n');
    });

    it("the image's Python decides, as for a RUN word", async () => {
      const r = await fixCtx({ 'requirements.txt': 'flask\nflask>=2,<3\n' }, DF(undefined, 'python:3.7.3-stretch'));
      expect(r.after('requirements.txt')).toBe('flask==2.2.5\nflask==2.2.5\n');
      expect(titles(r)).toEqual([
        "pin pip requirement 'flask' → 'flask==2.2.5' in requirements.txt line 1 (newest release for Python 3.7.3; 3.1.0 requires Python >=3.9)",
        "pin pip requirement 'flask>=2,<3' → 'flask==2.2.5' in requirements.txt line 2 (newest release matching '>=2,<3' for Python 3.7.3; 2.3.3 requires Python >=3.8)",
      ]);
    });

    it('keeps extras, markers, comments, options, CRLF and `\\` continuations', async () => {
      const reqs = [
        '# web app',
        'flask[async]  # the web framework',
        'requests ; python_version >= "3.8"',
        'Flask_SQLAlchemy>=3.0 \\',
        '    --config-settings key=value',
        'flask>=2,\\',
        '<3',
        'flask \\',
        '  ; python_version < "3.13"',
        '',
      ].join('\r\n');
      const r = await fixCtx({ 'requirements.txt': reqs }, DF());
      expect(r.left).toEqual([]);
      expect(r.after('requirements.txt')).toBe(
        [
          '# web app',
          'flask[async]==3.1.0  # the web framework',
          'requests==2.32.3 ; python_version >= "3.8"',
          'Flask_SQLAlchemy==3.1.1 \\',
          '    --config-settings key=value',
          // A specifier split by a line break is replaced whole: the `\` break inside it goes.
          'flask==2.3.3',
          'flask==3.1.0 \\',
          '  ; python_version < "3.13"',
          '',
        ].join('\r\n'),
      );
      expect(r.contextEdits.flatMap((e) => e.edits)).toEqual([
        { start: 23, end: 23, text: '==3.1.0' }, // after 'flask[async]'
        { start: 54, end: 54, text: '==2.32.3' }, // after 'requests', before ' ; python_version'
        { start: 98, end: 103, text: '==3.1.1' }, // '>=3.0'
        { start: 145, end: 154, text: '==2.3.3' }, // '>=2,\\\r\n<3'
        { start: 161, end: 161, text: '==3.1.0' }, // after 'flask', before ' \\'
      ]);
      expect(titles(r)).toContain("pin pip requirement 'flask>=2,<3' → 'flask==2.3.3' in requirements.txt line 6 (newest release matching '>=2,<3' for Python 3.12)");
      expect(requested('/main/simple/flask/')).toBe(1);
    });

    it('a BOM stays; offsets count it (they are into the text as read, BOM included)', async () => {
      const r = await fixCtx({ 'requirements.txt': '\uFEFFflask\n' }, DF());
      expect(r.contextEdits[0].edits).toEqual([{ start: 6, end: 6, text: '==3.1.0' }]);
      expect(r.after('requirements.txt')).toBe('\uFEFFflask==3.1.0\n');
    });

    it('--index-url / --extra-index-url lines in the file are used', async () => {
      const a = await fixCtx({ 'requirements.txt': `--index-url ${EXTRA}\nflask\n` }, DF());
      expect(a.after('requirements.txt')).toBe(`--index-url ${EXTRA}\nflask==3.1.9\n`);
      expect(requested('/main/simple/flask/')).toBe(0);
      const b = await fixCtx({ 'requirements.txt': `-i ${MAIN}\n--extra-index-url=${EXTRA}  # internal\ninternal-lib\n` }, DF());
      expect(b.after('requirements.txt')).toContain('\ninternal-lib==0.5.0\n');
    });

    it("the command's index options apply; a file's --index-url replaces them all, as in pip", async () => {
      const a = await fixCtx({ 'requirements.txt': 'flask\n' }, DF(`pip install -i ${EXTRA} -r requirements.txt`));
      expect(a.after('requirements.txt')).toBe('flask==3.1.9\n');
      server.log.length = 0;
      const b = await fixCtx({ 'requirements.txt': `--index-url ${MAIN}\nflask\n` }, DF(`pip install --extra-index-url ${EXTRA} -r requirements.txt`));
      expect(b.after('requirements.txt')).toBe(`--index-url ${MAIN}\nflask==3.1.0\n`);
      expect(server.count('/extra/')).toBe(0);
    });

    it('--pre in the file allows pre-releases', async () => {
      const r = await fixCtx({ 'requirements.txt': '--pre\nflask\n' }, DF(undefined, 'python:3.13'));
      expect(r.after('requirements.txt')).toBe('--pre\nflask==3.2.0rc1\n');
    });

    it('-r includes: their options count for the whole install, and each file gets its own edits', async () => {
      const r = await fixCtx(
        { 'requirements.txt': '-r base.txt\nflask\n', 'base.txt': `--extra-index-url ${EXTRA}\ninternal-lib\n` },
        DF(undefined, undefined, 'requirements.txt base.txt'),
      );
      expect(r.after('requirements.txt')).toBe('-r base.txt\nflask==3.1.9\n');
      expect(r.after('base.txt')).toBe(`--extra-index-url ${EXTRA}\ninternal-lib==0.5.0\n`);
      expect(r.contextEdits.map((e) => e.path).sort()).toEqual([join(r.dir, 'base.txt'), join(r.dir, 'requirements.txt')]);
    });

    it('uv pip install: the file index is the default only when the command and environment set none', async () => {
      const files = { 'requirements.txt': `--index-url ${EXTRA}\nflask\n` };
      const a = await fixCtx(files, DF('uv pip install --system -r requirements.txt'), { env: {} });
      expect(a.after('requirements.txt')).toContain('flask==3.1.9');
      const b = await fixCtx(files, DF('uv pip install --system -r requirements.txt'), { env: { UV_INDEX_URL: MAIN } });
      expect(b.after('requirements.txt')).toContain('flask==3.1.0');
    });

    it('the same file and a RUN word share one lookup; two installs of one file make the same edit', async () => {
      const r = await fixCtx({ 'requirements.txt': 'flask\n' }, 'FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install flask -r requirements.txt\nRUN pip install -r requirements.txt\n');
      expect(r.text).toContain('RUN pip install flask==3.1.0 -r requirements.txt\n');
      expect(r.contextEdits).toEqual([
        { path: join(r.dir, 'requirements.txt'), root: r.dir, edits: [{ start: 5, end: 5, text: '==3.1.0' }], expected: 'flask\n' },
        { path: join(r.dir, 'requirements.txt'), root: r.dir, edits: [{ start: 5, end: 5, text: '==3.1.0' }], expected: 'flask\n' },
      ]);
      expect(r.after('requirements.txt')).toBe('flask==3.1.0\n');
      expect(r.http.requests).toBe(1);
    });

    it('a re-run offline with the lock gives the same edits without a request', async () => {
      const lock = new LockFile(join(mkdtempSync(join(tmpdir(), 'pip-lock-')), 'dockrepro.lock.json'));
      const files = { 'requirements.txt': 'flask>=2,<3\n' };
      const first = await fixCtx(files, DF(), { lock });
      const again = await fixCtx(files, DF(), { lock, offline: true });
      expect(again.after('requirements.txt')).toBe('flask==2.3.3\n');
      expect(again.contextEdits[0].edits).toEqual(first.contextEdits[0].edits);
      expect(again.http.requests).toBe(0);
      expect(titles(again)).toEqual([`pin pip requirement 'flask>=2,<3' → 'flask==2.3.3' in requirements.txt line 1 (from ${lock.path})`]);
    });

    it('a failing line is left with the reason; the other lines are still pinned', async () => {
      const r = await fixCtx({ 'requirements.txt': 'no-such-project\nflask\n' }, DF());
      expect(r.after('requirements.txt')).toBe('no-such-project\nflask==3.1.0\n');
      expect(reasons(r)).toEqual([`failed: 'no-such-project' was not found on ${MAIN.slice(0, -1)}`]);
    });

    it('hash-checking mode: pinning without hashes would not install; constraints files decide too', async () => {
      const hashed = await fixCtx({ 'requirements.txt': `requests==2.32.3 --hash=sha256:${'a'.repeat(64)}\nflask\n` }, DF());
      expect(reasons(hashed)).toEqual([
        "no-fixer: --hash in requirements.txt line 1 puts pip in hash-checking mode: 'flask' (requirements.txt line 2) pinned without its hashes would not install; regenerate the file with its hashes (pip-compile --generate-hashes)",
      ]);
      const required = await fixCtx({ 'requirements.txt': '--require-hashes\nflask\n' }, DF());
      expect(reasons(required)[0]).toMatch(/^no-fixer: --require-hashes in requirements.txt line 1 puts pip in hash-checking mode/);
      const env = await fixCtx({ 'requirements.txt': 'flask\n' }, DF().replace('WORKDIR', 'ENV PIP_REQUIRE_HASHES=1\nWORKDIR'));
      expect(reasons(env)[0]).toMatch(/^no-fixer: PIP_REQUIRE_HASHES is set \(hash-checking mode\)/);
      const constrained = await fixCtx({ 'requirements.txt': '-c constraints.txt\nflask\n', 'constraints.txt': 'flask<3\n' }, DF(undefined, undefined, 'requirements.txt constraints.txt'));
      expect(reasons(constrained)).toEqual([
        "no-fixer: -c constraints.txt in requirements.txt line 1: the constraints also decide the version of 'flask' (requirements.txt line 2); pin it by hand",
      ]);
      for (const r of [hashed, required, env, constrained]) expect(r.contextEdits).toEqual([]);
      expect(server.log).toEqual([]);
    });

    it('a hashed range (`flask>=1 --hash=…`) is not touched; the unhashed line is left for hash-checking mode', async () => {
      const text = `flask>=1 --hash=sha256:${'a'.repeat(64)}\nrequests\n`;
      const r = await fixCtx({ 'requirements.txt': text }, DF());
      expect(reasons(r)).toEqual([
        "no-fixer: --hash in requirements.txt line 1 puts pip in hash-checking mode: 'requests' (requirements.txt line 2) pinned without its hashes would not install; regenerate the file with its hashes (pip-compile --generate-hashes)",
      ]);
      expect(r.contextEdits).toEqual([]);
      expect(server.log).toEqual([]);
    });

    it('sources dockrepro cannot see are left: --find-links / --no-index in the file, a requirements file not from the context', async () => {
      const links = await fixCtx({ 'requirements.txt': '--find-links /wheels\nflask\n' }, DF());
      expect(reasons(links)).toEqual(['no-fixer: --find-links in requirements.txt line 1 adds a source dockrepro does not read: the version pip picks may come from there']);
      const noIndex = await fixCtx({ 'requirements.txt': '--no-index\nflask\n' }, DF());
      expect(reasons(noIndex)[0]).toBe('no-fixer: --no-index in requirements.txt line 1: packages come only from --find-links, which dockrepro cannot see');
      const other = await fixCtx({ 'requirements.txt': 'flask\n' }, DF('pip install -r requirements.txt -r /opt/extra.txt'));
      expect(reasons(other)).toEqual(['no-fixer: the install also reads /opt/extra.txt, which is not COPYed from the build context: its index options are unknown']);
      const variable = await fixCtx({ 'requirements.txt': '--extra-index-url https://${TOKEN}@example.com/simple\nflask\n' }, DF());
      expect(reasons(variable)).toEqual(['no-fixer: the value of --extra-index-url in requirements.txt line 1 is not known (a variable expanded at build time?)']);
      expect(server.log).toEqual([]);
    });

    it('URL lines are left; a file that is not UTF-8 or links out of the context is not rewritten', async () => {
      const url = await fixCtx({ 'requirements.txt': 'git+https://github.com/pallets/flask@main\n' }, DF());
      expect(reasons(url)).toEqual([
        "no-fixer: 'git+https://github.com/pallets/flask@main' (requirements.txt line 1) is installed from a URL or VCS: pin it to a full commit id or add a '#sha256=' hash by hand",
      ]);
      const latin1 = await fixCtx({ 'requirements.txt': Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\nflask\n')]) }, DF());
      expect(reasons(latin1)).toEqual(['no-fixer: requirements.txt is not UTF-8 text: dockrepro does not rewrite it']);
      const outside = workspace({ 'shared.txt': 'flask\n' });
      const dir = realpathSync(workspace({ Dockerfile: DF() }));
      symlinkSync(join(outside, 'shared.txt'), join(dir, 'requirements.txt'));
      const context = new BuildContext(dir);
      const linked = await fix(DF(), { buildContext: context, writeContext: true });
      // The rule does not read a file outside the context either: no finding to fix, and the refusal is kept
      // for the command to report (an error for this Dockerfile).
      expect(reasons(linked)).toEqual([]);
      expect(context.refused).toEqual(['requirements.txt is a symlink to a file outside the build context: not read']);
      for (const r of [url, latin1, linked]) expect(r.contextEdits).toEqual([]);
      expect(server.log).toEqual([]);
    });

    it('no package resolver: needs the network', async () => {
      const r = await fixCtx({ 'requirements.txt': 'flask\n' }, DF(), { noPackages: true });
      expect(reasons(r)).toEqual(['needs-network: needs a package index lookup']);
      expect(r.contextEdits).toEqual([]);
    });
  });

  describe('lock and lookups', () => {
    it('a re-run offline with the lock gives the same bytes and makes no request', async () => {
      const lock = new LockFile(join(mkdtempSync(join(tmpdir(), 'pip-lock-')), 'dockrepro.lock.json'));
      const text = `FROM python:3.7.3-stretch\nRUN pip install --extra-index-url ${EXTRA} flask "flask>=2,<3" internal-lib\n`;
      const first = await fix(text, { lock });
      expect(first.text).toBe(`FROM python:3.7.3-stretch\nRUN pip install --extra-index-url ${EXTRA} flask==2.2.5 "flask==2.2.5" internal-lib==0.5.0\n`);
      expect(first.http.requests).toBeGreaterThan(0);
      const main = MAIN.slice(0, -1);
      expect(lock.getPackage(`pypi:flask >=2,<3 py3.7.3 best-match ${main} ${EXTRA}`)?.version).toBe('2.2.5');

      const again = await fix(text, { lock, offline: true });
      expect(again.text).toBe(first.text);
      expect(again.http.requests).toBe(0);
      expect(titles(again)[0]).toBe(`pin pip requirement 'flask' → 'flask==2.2.5' (from ${lock.path})`);
    });

    it('offline without a lock entry: needs the network', async () => {
      const r = await fix('FROM python:3.12\nRUN pip install flask\n', { offline: true });
      expect(r.left[0].left).toBe('needs-network');
      expect(r.http.requests).toBe(0);
    });

    it('two RUNs and two files with the same requirement: one lookup', async () => {
      const http = new HttpClient({ retries: 0 });
      const lookups = new Lookups();
      const a = await fix('FROM python:3.12\nRUN pip install flask\nRUN pip install flask\n', { http, lookups });
      const b = await fix('FROM python:3.12-slim\nRUN pip3 install flask\n', { http, lookups });
      expect(a.text).toBe('FROM python:3.12\nRUN pip install flask==3.1.0\nRUN pip install flask==3.1.0\n');
      expect(b.text).toBe('FROM python:3.12-slim\nRUN pip3 install flask==3.1.0\n');
      expect(requested('/main/simple/flask/')).toBe(1);
      expect(http.requests).toBe(1);
    });
  });
});
