/**
 * `explicit-id` (rule useradd-uid): gives every user and group created without an id an explicit one,
 * `--uid N` / `--gid N` (`-u N` / `-g N` for busybox), inserted right after the program word so that
 * everything else in the file stays byte for byte as it was.
 *
 * Ids are chosen for the whole file at once: from `ctx.baseId` up, in source order, skipping every id the
 * file already uses explicitly. Users and groups share one pool, so a user's private group can take the
 * same number as its uid, and a group created for a user (`groupadd app && useradd -g app app`) gets the
 * user's number. Unsafe: the id the build assigns today (often 1000) may differ from the one chosen.
 *
 * With the base image's files (`ctx.bases`), the fixer instead replays the stage's user and group commands
 * on the image's accounts with the real tools' rules (src/accounts) and writes the id each command gets
 * today: a safe fix. Where the replay cannot tell (a package installation before it, an unknown option, …)
 * the unsafe fix above stays, its title saying why; without the image's files it stays exactly as it was.
 */
import { optionSpec, parseArgs, type OptionSpec, type ParsedArgs } from '../parse/args';
import { stageChain, type DockerfileModel, type RunBlock } from '../parse/dockerfile';
import type { SimpleCommand, Word } from '../parse/shell';
import type { Finding } from '../rules/types';
import type { Fix, Fixer, FixerContext, TextEdit, FindingOf, FixResult } from './types';
import { SPEC as RULE_SPEC } from '../parse/tools/accounts';
import { ACCOUNT_FILES, imageAccounts } from '../accounts/image';
import { replayStage } from '../accounts/replay';
import { NotFixed } from '../util/notFixed';
import type { AccountCommand, AccountId, AccountStyle } from '../findings/fixRequests';

type Command = AccountCommand;
type Style = AccountStyle;
type Id = AccountId;

/** Options that take a value, per program: the rule's tables, plus usermod/groupmod whose ids count as used. */
const SPECS: Record<string, OptionSpec> = {
  ...RULE_SPEC,
  usermod: optionSpec([...RULE_SPEC.useradd.withValue, '-l', '--login', '-d', '--home', '-v', '--add-subuids', '-V', '--del-subuids',
    '-w', '--add-subgids', '-W', '--del-subgids']),
  groupmod: optionSpec(['-g', '--gid', '-n', '--new-name', '-p', '--password', '-R', '--root', '-P', '--prefix', '-U', '--users']),
};

/** Options whose numeric values are ids (or comma lists of them) in some of the six programs. */
const ID_OPTIONS = ['-u', '--uid', '-g', '--gid', '-G', '--groups', '--ingroup'];

/** The option naming a user's primary group, by style (shadow `-G` and busybox `-g` mean something else). */
const PRIMARY_GROUP: Record<Style, string[]> = { shadow: ['-g', '--gid'], busybox: ['-G', '--ingroup'], debian: ['--ingroup'] };

/** nobody/nogroup, and (uid_t)-1 of 16-bit tools: never handed out. */
const RESERVED = new Set([65534, 65535]);
const MAX_ID = 2 ** 31 - 2;

const isNumeric = (v: string | undefined): v is string => v !== undefined && /^[0-9]+$/.test(v);

function valuesOf(parsed: ParsedArgs, names: string[]): string[] {
  return parsed.optionWords.filter((o) => names.includes(o.name) && o.value?.value !== undefined).map((o) => o.value!.value!);
}

/** Every id the file states: options of the user/group tools, numeric `USER`, `COPY/ADD --chown`. */
function usedIds(model: DockerfileModel): Set<number> {
  const used = new Set<number>();
  const add = (v: string) => {
    for (const part of v.split(/[,:]/)) if (isNumeric(part)) used.add(Number(part));
  };
  for (const run of model.runs) {
    for (const cmd of run.commands) {
      const spec = SPECS[cmd.name];
      if (spec) valuesOf(parseArgs(cmd.args, spec), ID_OPTIONS).forEach(add);
    }
  }
  for (const inst of model.instructions) {
    if (inst.keyword !== 'USER' && inst.keyword !== 'ONBUILD') continue;
    const body = model.text.slice(inst.span.start, inst.span.end).split(`${model.escape}\n`).join('').split(`${model.escape}\r\n`).join('');
    const m = /^\s*(?:ONBUILD\s+)?USER\s+(\S+)/i.exec(body);
    if (m) add(m[1]);
  }
  for (const copy of model.copies) {
    const chown = copy.flags.get('chown')?.value;
    if (chown) add(chown);
  }
  return used;
}

type Located = { cmd: SimpleCommand; run: RunBlock; at: Word };

/**
 * For each word of each user/group command (`program:start:end`), the innermost command it belongs to.
 * Built once per call, so that locating n findings costs n look-ups, not n scans of the file.
 */
function wordIndex(model: DockerfileModel): Map<string, Located> {
  const index = new Map<string, Located>();
  for (const run of model.runs) {
    for (const cmd of run.commands) {
      if (!SPECS[cmd.name]) continue;
      for (const w of [cmd.program, ...cmd.args]) {
        if (!w) continue;
        const key = `${cmd.name}:${w.span.start}:${w.span.end}`;
        const best = index.get(key);
        if (!best || cmd.span.end - cmd.span.start < best.cmd.span.end - best.cmd.span.start) index.set(key, { cmd, run, at: w });
      }
    }
  }
  return index;
}

/** The command (of the request's program) one of whose words is exactly the finding's span, innermost first. */
function locate(index: Map<string, Located>, f: Finding, command: string): Located | undefined {
  return index.get(`${command}:${f.span.start}:${f.span.end}`);
}

/** `RUN ["useradd", …]`: the command's first word is a JSON string right after the `[`. */
function isExecForm(model: DockerfileModel, cmd: SimpleCommand): boolean {
  const first = cmd.words[0];
  if (!first?.raw.startsWith('"')) return false;
  let i = first.span.start - 1;
  while (i >= 0 && (/\s/.test(model.text[i]) || model.text[i] === model.escape)) i--;
  return model.text[i] === '[';
}


interface Entry {
  cmd: SimpleCommand;
  run: RunBlock;
  command: Command;
  style: Style;
  id: Id;
  name: string;
  /** The primary group a user names (`-g app`, `-G app`, `--ingroup app`), when not numeric. */
  group?: string;
  /** A group entry paired with a user entry (or the reverse): both get one number. */
  partner?: Entry;
  value?: number;
}

/** Checks a finding and its request; the entry to give an id, or why not. */
function entryFor(model: DockerfileModel, words: Map<string, Located>, f: FindingOf<'explicit-id'>): Entry | NotFixed {
  const { command, style, needs: [id] } = f.fix;
  const found = locate(words, f, command);
  if (!found) return new NotFixed(`cannot find the ${command} command this finding points at`, 'failed');
  const { cmd, run, at } = found;
  const program = cmd.program!;
  const what = id === 'uid' ? 'user' : 'group';
  const written = model.text.slice(program.span.start, program.span.end);
  if (program.vars.length > 0 || written !== program.raw) {
    // Where a variable's value or a split word ends in the text is not ours to guess.
    const why = program.vars.length > 0 ? `comes from $${program.vars[0]}` : 'is written with a line continuation or escapes in it';
    return new NotFixed(`the program word '${written}' ${why}: add '${optionText(style, id, 'N')}' by hand`, 'no-fixer');
  }
  if (at === program) return new NotFixed(`${command} names no ${what}: nothing to give an id to`, 'no-fixer');
  if (at.value === undefined) {
    return new NotFixed(`the ${what} name ${at.raw} is not known (an ARG without a default?): add '${optionText(style, id, 'N')}' by hand`, 'no-fixer');
  }
  const parsed = parseArgs(cmd.args, SPECS[command]);
  if ((id === 'uid' ? ['-u', '--uid'] : ['-g', '--gid']).some((n) => parsed.options.has(n))) {
    return new NotFixed(`${command} '${at.value}' already has a ${id}`, 'failed');
  }
  const group = id === 'uid' ? valuesOf(parsed, PRIMARY_GROUP[style]).find((v) => !isNumeric(v)) : undefined;
  return { cmd, run, command, style, id, name: at.value, group };
}

/** `--uid 10001`, or `-u 10001` for busybox. */
function optionText(style: Style, id: Id, value: string): string {
  return `${style === 'busybox' ? (id === 'uid' ? '-u' : '-g') : `--${id}`} ${value}`;
}

/**
 * Pairs each user with the group its primary-group option names: the nearest earlier group of that name in
 * the same stage (or one it builds on), both ONBUILD or both not. `sorted` is in source order, so the first
 * user of a shared group gets it.
 */
function pair(model: DockerfileModel, sorted: Entry[]): void {
  const groupsByName = new Map<string, Entry[]>();
  for (const g of sorted) {
    if (g.id !== 'gid') continue;
    const list = groupsByName.get(g.name) ?? [];
    list.push(g);
    groupsByName.set(g.name, list);
  }
  for (const user of sorted) {
    if (user.id !== 'uid' || user.group === undefined) continue;
    // The stage and the stages it builds on: where a group a user names may have been created.
    const stages = stageChain(model, user.run.stage);
    const group = (groupsByName.get(user.group) ?? [])
      .filter((g) => g.cmd.span.start < user.cmd.span.start && g.run.onbuild === user.run.onbuild && stages.includes(g.run.stage))
      .pop();
    if (group && !group.partner) {
      group.partner = user;
      user.partner = group;
    }
  }
}

/** Hands out ids in source order (a pair at its first command), skipping the used ones. */
function allocate(sorted: Entry[], used: Set<number>, baseId: number): void {
  let next = baseId;
  for (const e of sorted) {
    if (e.value !== undefined) continue;
    while (used.has(next) || RESERVED.has(next)) next++;
    if (next > MAX_ID) return;
    e.value = next;
    if (e.partner) e.partner.value = next;
    used.add(next);
  }
}

/** What the replay of the image's accounts says about an entry: the id it gets today, or why that is unknown. */
type Known = { value: number; tool: string; group?: number } | { unknown: string };

function fixFor(model: DockerfileModel, e: Entry, known?: Known): Fix | NotFixed {
  if (known && 'value' in known) return exactFix(model, e, known);
  if (e.value === undefined) return new NotFixed(`no free id left between the base id and ${MAX_ID}`, 'failed');
  const fix = insertion(model, e, optionText(e.style, e.id, String(e.value)));
  if (fix instanceof NotFixed) return fix;
  const p = e.partner;
  const note = p ? (e.id === 'gid' ? ` (the uid of its user '${p.name}')` : ` (the gid of its group '${p.name}')`) : '';
  const why = known ? ` (the id it gets today is unknown: ${known.unknown})` : '';
  return { title: `add ${fix.option} to ${e.command} '${e.name}'${note}${why}`, edits: [fix.edit], applicability: 'unsafe' };
}

/** The id the command gets today, written down: the same build, made explicit. */
function exactFix(model: DockerfileModel, e: Entry, known: { value: number; tool: string; group?: number }): Fix | NotFixed {
  const style: Style = known.tool.startsWith('busybox') ? 'busybox' : known.tool.startsWith('debian') ? 'debian' : 'shadow';
  const fix = insertion(model, e, optionText(style, e.id, String(known.value)));
  if (fix instanceof NotFixed) return fix;
  const group = known.group !== undefined && e.id === 'uid' ? `; its group '${e.name}' keeps gid ${known.group}` : '';
  return {
    title: `add ${fix.option} to ${e.command} '${e.name}' (the ${e.id} it gets today, from the base image's accounts${group})`,
    edits: [fix.edit],
    applicability: 'safe',
  };
}

function insertion(model: DockerfileModel, e: Entry, option: string): { option: string; edit: TextEdit } | NotFixed {
  const program = e.cmd.program!;
  let edit: TextEdit;
  if (isExecForm(model, e.cmd)) {
    // `["useradd", "-m", "app"]` → `["useradd", "--uid", "10001", "-m", "app"]`, keeping the separator style.
    const sep = /^\s*,([ \t]*)/.exec(model.text.slice(program.span.end));
    if (!sep) return new NotFixed(`cannot find the argument after '${program.raw}' in the exec form`, 'failed');
    const at = program.span.end + sep[0].length;
    const json = option.split(' ').map((s) => JSON.stringify(s) + ',' + sep[1]).join('');
    edit = { start: at, end: at, text: json };
  } else {
    edit = { start: program.span.end, end: program.span.end, text: ` ${option}` };
  }
  return { option, edit };
}

/**
 * The ids the entries get today, per stage chain, from the base image's accounts. A stage whose image
 * cannot be read (NotFixed) gets no answer: its entries keep today's unsafe fix as it is.
 */
async function knownIds(ctx: FixerContext, entries: Entry[]): Promise<Map<Entry, Known>> {
  const bases = ctx.bases!;
  const out = new Map<Entry, Known>();
  for (const stage of [...new Set(entries.map((e) => e.run.stage))]) {
    let files: ReadonlyMap<string, string>;
    try {
      files = (await bases.files(stage, { files: ACCOUNT_FILES })).files;
    } catch (err) {
      if (err instanceof NotFixed) continue;
      throw err;
    }
    const image = imageAccounts(files);
    const replayed = 'unknown' in image ? undefined : replayStage(ctx.model, stage, image);
    for (const e of entries.filter((x) => x.run.stage === stage)) {
      if ('unknown' in image) {
        out.set(e, { unknown: image.unknown });
        continue;
      }
      const r = replayed!.get(e.cmd);
      if (!r) out.set(e, { unknown: e.run.onbuild ? 'ONBUILD runs in the build of another image' : 'the command is not replayed' });
      else if ('unknown' in r) out.set(e, r);
      else {
        const value = e.id === 'uid' ? r.created.uid : r.created.gid;
        out.set(e, value === undefined ? { unknown: `${e.command} creates no ${e.id} here` } : { value, tool: r.tool, group: e.id === 'uid' ? r.created.gid : undefined });
      }
    }
  }
  return out;
}

const fixer: Fixer<'explicit-id'> = {
  kind: 'explicit-id',
  fix(findings: FindingOf<'explicit-id'>[], ctx: FixerContext): FixResult[] | Promise<FixResult[]> {
    const words = wordIndex(ctx.model);
    const checked = findings.map((f) => entryFor(ctx.model, words, f));
    // Decisions follow the file, not the order the findings come in: same file, same ids.
    const sorted = checked.filter((c): c is Entry => 'cmd' in c).sort((a, b) => a.cmd.span.start - b.cmd.span.start);
    const finish = (known: Map<Entry, Known>) => {
      // Entries with a known id keep it; the others share the base-id pool, which skips the known ids too.
      const guessed = sorted.filter((e) => !('value' in (known.get(e) ?? {})));
      const used = usedIds(ctx.model);
      for (const k of known.values()) {
        if (!('value' in k)) continue;
        used.add(k.value);
        if (k.group !== undefined) used.add(k.group);
      }
      pair(ctx.model, guessed);
      allocate(guessed, used, ctx.baseId);
      return checked.map((c) => ('cmd' in c ? fixFor(ctx.model, c, known.get(c)) : c));
    };
    return ctx.bases ? knownIds(ctx, sorted).then(finish) : finish(new Map());
  },
};

export default fixer;
