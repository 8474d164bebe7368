/** `dockrepro verify`'s report: text for people, JSON for tools. Text from the builds is escaped for terminals. */
import { printable, terminalSafeJson } from '../util/escape';
import type { Comparison } from './compare';

export interface VerifyResult {
  dockerfile: string;
  builder: string;
  /** The SOURCE_DATE_EPOCH and `--timestamp` both builds used. */
  sourceDateEpoch: number;
  /** Seconds each build took (build and export). */
  seconds: [number, number];
  comparison: Comparison;
}

/** Most differing files listed per layer in text (JSON lists all). */
const MAX_FILES_SHOWN = 40;

export function textReport(r: VerifyResult): string {
  const c = r.comparison;
  const how = `${r.builder}, SOURCE_DATE_EPOCH=${r.sourceDateEpoch}; builds took ${r.seconds.map((s) => s.toFixed(1)).join(' s and ')} s`;
  const name = printable(r.dockerfile);
  if (c.identical) return `${name}: reproducible: both builds gave ${c.digests[0]} (${how})\n`;
  const lines = [`${name}: NOT reproducible: build 1 gave ${c.digests[0]}, build 2 ${c.digests[1]} (${how})`];
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
  return `${lines.join('\n')}\n`;
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
