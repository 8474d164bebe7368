/** `dockrepro verify`'s report: text for people, JSON for tools. Text from the builds is escaped for terminals. */
import { printable, terminalSafeJson } from '../util/escape';
import type { Comparison } from './compare';
import type { Differing, VariationOutcome } from './vary';
import type { VariationName } from './variations';

export interface VerifyResult {
  dockerfile: string;
  builder: string;
  /** The SOURCE_DATE_EPOCH and `--timestamp` both builds used. */
  sourceDateEpoch: number;
  /** Seconds each build took (build and export), in the order they ran. */
  seconds: number[];
  /** Build 1 against build 2 (with --vary: the unvaried build against the one under every variation). */
  comparison: Comparison;
  /** With --vary: what was varied, and when the result changed, by which variation. */
  vary?: VaryReport;
}

export interface VaryReport {
  variations: { name: VariationName; description: string; applied: boolean; notAppliedBecause?: string }[];
  /** When the varied build differs: what also differs between two unvaried builds (no variation's doing). */
  unvaried?: Differing;
  /** When the varied build differs: each variation alone against the unvaried build. */
  byVariation?: VariationOutcome[];
}

/** Most differing files listed per layer in text (JSON lists all). */
const MAX_FILES_SHOWN = 40;

export function textReport(r: VerifyResult): string {
  const c = r.comparison;
  const took = r.seconds.map((s) => s.toFixed(1));
  const how = `${r.builder}, SOURCE_DATE_EPOCH=${r.sourceDateEpoch}; builds took ${took.length > 2 ? `${took.slice(0, -1).join(' s, ')} s and ${took[took.length - 1]}` : took.join(' s and ')} s`;
  const name = printable(r.dockerfile);
  if (r.vary) return varyText(name, how, r.vary, c);
  if (c.identical) return `${name}: reproducible: both builds gave ${c.digests[0]} (${how})\n`;
  const lines = [`${name}: NOT reproducible: build 1 gave ${c.digests[0]}, build 2 ${c.digests[1]} (${how})`];
  return `${[...lines, ...differences(c)].join('\n')}\n`;
}

function varyText(name: string, how: string, vary: VaryReport, c: Comparison): string {
  const applied = vary.variations.filter((v) => v.applied).map((v) => v.name);
  const lines: string[] = [];
  if (c.identical) {
    const same = c.digests[0] === c.digests[1] ? `both builds gave ${c.digests[0]}` : `both builds gave the same files and config (the digests differ only by the LANG and LC_ALL that the locale variation writes into the config)`;
    lines.push(`${name}: reproducible under ${applied.join(', ')}: ${same} (${how})`);
  } else {
    lines.push(`${name}: NOT reproducible under ${applied.join(', ')}: the unvaried build gave ${c.digests[0]}, the varied one ${c.digests[1]} (${how})`);
    lines.push(...differences(c));
    lines.push('  which variation makes the difference (each alone, compared with the unvaried build):');
    for (const o of vary.byVariation ?? []) lines.push(`    ${o.variation}: ${o.reproducible ? 'the same' : printable(listed(o.differing))}`);
    const again = vary.unvaried;
    if (again && (again.paths.length > 0 || again.config.length > 0)) {
      lines.push(`  differs without any variation too (the unvaried build again; not blamed on a variation): ${printable(listed(again))}`);
    } else if ((vary.byVariation ?? []).every((o) => o.reproducible)) {
      lines.push('  no variation alone makes a difference: only some of them together do');
    }
  }
  for (const v of vary.variations) if (!v.applied) lines.push(`  not varied: ${v.name} (${v.notAppliedBecause ?? 'not asked for'})`);
  return `${lines.join('\n')}\n`;
}

function listed(d: Differing): string {
  return [...d.paths, ...d.config.map((f) => `config ${f}`)].join(', ');
}

/** The config fields and layer files that differ, as indented lines. */
function differences(c: Comparison): string[] {
  const lines: string[] = [];
  if (c.config.length > 0) {
    lines.push('  image config:');
    for (const d of c.config) {
      lines.push(`    ${printable(d.field)}: ${printable(show(d.first))} vs ${printable(show(d.second))}`);
      if (d.hint) lines.push(`      hint: ${d.hint}`);
    }
  }
  for (const l of c.layers) {
    lines.push(`  layer ${l.index}${l.createdBy ? `: ${printable(shorten(l.createdBy))}` : ''}`);
    for (const f of l.files.slice(0, MAX_FILES_SHOWN)) {
      const what = f.differences.map((d) => (d.aspect === 'only-in-one' ? `only in build ${d.first === 'present' ? 1 : 2}` : `${d.aspect} ${d.first} vs ${d.second}`));
      lines.push(`    ${printable(f.path)}: ${printable(what.join('; '))}`);
      if (f.hint) lines.push(`      hint: ${f.hint}`);
    }
    if (l.files.length > MAX_FILES_SHOWN) lines.push(`    … and ${l.files.length - MAX_FILES_SHOWN} more (--format json lists all)`);
    if (l.files.length === 0) lines.push('    the same files, metadata and content, but different tar bytes (entry order or headers)');
  }
  if (c.config.length === 0 && c.layers.length === 0) lines.push('  the config and layers are the same: the manifests differ (annotations or media types)');
  return lines;
}

export function jsonReport(r: VerifyResult): string {
  return `${terminalSafeJson(JSON.stringify({ version: 1, ...r, reproducible: r.comparison.identical }, null, 2))}\n`;
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

/**
 * A history line as the instruction it was: buildah writes `/bin/sh -c #(nop) COPY …` for most and
 * `|1 ARG=v /bin/sh -c <command>` for RUN. Cut at 100 characters.
 */
function shorten(createdBy: string): string {
  const nop = /\/bin\/sh -c #\(nop\) (.*)$/s.exec(createdBy);
  const run = /\/bin\/sh -c (.*)$/s.exec(createdBy);
  const s = (nop ? nop[1] : run ? `RUN ${run[1]}` : createdBy).trim();
  return s.length > 100 ? `${s.slice(0, 99)}…` : s;
}
