/**
 * Which Node.js and npm run an install command of a Dockerfile: the base image's (src/resolve/nodeRuntime.ts),
 * unless the Dockerfile itself installs or replaces Node or npm on the way (a package manager, a version
 * manager, a download, a copy into the system folders, `npm install -g npm`), in which case the image's
 * answer is not today's build. Then, or when the image cannot be read, the versions set by hand in the
 * config (`rules.npm-pin.node-version` / `npm-version`) are used; else the caller leaves its finding with
 * the reason returned here.
 */
import { stageChain, type DockerfileModel, type RunBlock } from '../parse/dockerfile';
import type { SimpleCommand } from '../parse/shell';
import { readNodeRuntime } from '../resolve/nodeRuntime';
import type { FixerContext } from './types';
import { NotFixed, type LeftReason } from '../util/notFixed';

export interface Runtime {
  node?: string;
  npm?: string;
  /** Where the versions come from, for titles. */
  source: string;
}

const SET_BY_HAND = 'set `rules.npm-pin.node-version` and `npm-version` in .dockrepro.yaml to the versions the build uses, or pin by hand';

const PACKAGE_MANAGERS = new Set(['apt-get', 'apt', 'aptitude', 'apk', 'yum', 'dnf', 'microdnf', 'zypper', 'pacman', 'brew', 'conda', 'mamba', 'micromamba']);
/** Package names that bring a Node or npm of the distribution's choice (`nodejs=18.*`, `nodejs-current`, `node-gyp`, which needs nodejs). */
const NODE_PACKAGE = /^(node|nodejs|npm|node-gyp)(\d+)?([-_=:<>~@.*].*)?$/i;
const VERSION_MANAGERS = new Set(['nvm', 'n', 'fnm', 'volta', 'nodenv', 'nodebrew', 'nave', 'asdf', 'mise', 'rtx', 'proto']);
/** Words that download or set up a Node build (`https://nodejs.org/dist/v18…`, NodeSource's setup script, nvm's installer). */
const NODE_DOWNLOAD = /nodejs\.org\/|node-v\d|nodesource|nvm-sh\/nvm|\/nvm\/|get-volta|fnm\.vercel|n-install/i;
/** Paths of a COPY/ADD that replace the system Node or npm. */
const NODE_PATH = /(^|\/)(bin\/(node|nodejs|npm)|lib\/node_modules|include\/node|\.?nvm|node-v\d[^/]*)(\/|$)|^\/opt\/node/;
/** Whole system folders: copied from another stage or image, they may bring its Node (`COPY --from=node:20 /usr/local /usr/local`). */
const SYSTEM_DIR = /^\/(usr(\/local)?\/?)?$/;

const lineOf = (model: DockerfileModel, offset: number) => `line ${model.lines.position(offset).line}`;


/** What a command does to Node or npm: nothing, a known npm version (`npm i -g npm@10.8.2`), or an unknown change. */
function commandChange(cmd: SimpleCommand): undefined | { npm: string } | { unknown: string } {
  const values = cmd.args.map((a) => a.value);
  const shown = `\`${cmd.name}${values[0] ? ` ${values[0]}` : ''}\``;
  if (PACKAGE_MANAGERS.has(cmd.name) && values.some((v) => v !== undefined && NODE_PACKAGE.test(v))) return { unknown: `${shown} installs Node.js or npm` };
  if (VERSION_MANAGERS.has(cmd.name)) return { unknown: `${shown} may install another Node.js` };
  if (cmd.name === 'corepack' && values.some((v) => v !== undefined && /^npm(@|$)/.test(v))) return { unknown: `${shown} may replace npm` };
  if ([cmd.program?.value, ...values].some((v) => v !== undefined && NODE_DOWNLOAD.test(v))) return { unknown: `${shown} downloads or sets up Node.js` };
  if (cmd.name === 'npm' || cmd.name === 'yarn' || cmd.name === 'pnpm') {
    const global = values.some((v) => v === '-g' || v === '--global' || v === '--location=global') || (cmd.name === 'yarn' && values[0] === 'global');
    const install = values.some((v) => v !== undefined && /^(install|i|add|update|up|upgrade)$/.test(v));
    const npmWord = values.find((v) => v !== undefined && /^npm(@.*)?$/.test(v));
    if (global && install && npmWord !== undefined) {
      const exact = /^npm@(\d+\.\d+\.\d+)$/.exec(npmWord);
      return exact ? { npm: exact[1] } : { unknown: `${shown} ${npmWord} replaces npm with a version not known here` };
    }
    if (global && install && values.some((v) => v !== undefined && /^(n|nvm|node)(@.*)?$/.test(v))) return { unknown: `${shown} installs a Node.js version manager or Node.js` };
  }
  return undefined;
}

/**
 * How the Dockerfile changes Node or npm before `cmd` in `run` (the stage chain's earlier instructions and
 * the RUN's earlier commands): undefined for no change, `{ npm }` when it only installs a known npm.
 */
export function dockerfileNodeChange(model: DockerfileModel, run: RunBlock, cmd: SimpleCommand): undefined | { npm: string } | { unknown: string } {
  const chain = stageChain(model, run.stage);
  type Event = { at: number; change: { npm: string } | { unknown: string } };
  const events: Event[] = [];
  for (const r of model.runs) {
    if (r.onbuild || !chain.includes(r.stage) || r.span.start > run.span.start) continue;
    for (const c of r.commands) {
      if (r === run && c.span.start >= cmd.span.start) break;
      const change = commandChange(c);
      if (change) events.push({ at: c.span.start, change: 'unknown' in change ? { unknown: `${lineOf(model, c.span.start)}: ${change.unknown}` } : change });
    }
  }
  for (const copy of model.copies) {
    if (copy.onbuild || !chain.includes(copy.stage) || copy.span.start > run.span.start) continue;
    const paths = [...copy.sources, ...(copy.destination ? [copy.destination] : [])].map((o) => o.value);
    const foreign = copy.flags.has('from');
    const hit = paths.find((p) => p !== undefined && (NODE_PATH.test(p) || NODE_DOWNLOAD.test(p) || (foreign && SYSTEM_DIR.test(p))));
    const unknownPath = foreign && paths.includes(undefined);
    if (hit !== undefined || unknownPath) {
      const what = hit !== undefined ? `'${hit}'` : 'a path not known here';
      events.push({ at: copy.span.start, change: { unknown: `${lineOf(model, copy.span.start)}: \`${copy.keyword}\` of ${what} may replace Node.js or npm` } });
    }
  }
  events.sort((a, b) => a.at - b.at);
  // Any unknown change wins; otherwise the last known npm replacement.
  const unknown = events.find((e) => 'unknown' in e.change);
  return unknown?.change ?? events.at(-1)?.change;
}

/**
 * The Node and npm that run `cmd`, or why they are not known. `need` names what the caller needs, so a
 * config that sets only npm's version is enough for `npm ci`.
 */
export async function stageRuntime(ctx: FixerContext, run: RunBlock, cmd: SimpleCommand, need: { node: boolean; npm: boolean }): Promise<Runtime | NotFixed> {
  const byHand = ctx.nodeRuntime;
  const complete = (r: Runtime) => (!need.node || r.node !== undefined) && (!need.npm || r.npm !== undefined);
  const fromConfig = byHand && (byHand.node || byHand.npm) ? { node: byHand.node, npm: byHand.npm, source: `${byHand.source ?? 'the config'} (set by hand)` } : undefined;
  const leave = (left: LeftReason, why: string): Runtime | NotFixed => {
    if (fromConfig && complete(fromConfig)) return fromConfig;
    return new NotFixed(`${need.node ? 'Node.js version' : 'npm version'} of this stage unknown: ${why}; ${SET_BY_HAND}`, left);
  };
  const change = dockerfileNodeChange(ctx.model, run, cmd);
  if (change && 'unknown' in change) return leave('no-fixer', change.unknown);
  if (!ctx.bases) return leave('needs-network', 'the base image was not read (no registry access in this run)');
  let image: Awaited<ReturnType<typeof readNodeRuntime>>;
  try {
    image = await readNodeRuntime(ctx.bases, run.stage);
  } catch (e) {
    if (e instanceof NotFixed) return leave(e.left, `cannot read the base image: ${e.message}`);
    throw e;
  }
  if ('unknown' in image) {
    if (change && !need.node) return { npm: change.npm, source: 'the `npm install -g npm@…` of the Dockerfile' };
    return leave('no-fixer', image.unknown);
  }
  if (change) return { node: image.node, npm: change.npm, source: `${image.source}, then npm ${change.npm} installed by the Dockerfile` };
  return image;
}
