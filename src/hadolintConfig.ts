/**
 * hadolint's `.hadolint.yaml`, translated into a dockrepro Config so a repository that has only that file keeps
 * its choices. What hadolint reads (its Configuration parser):
 *
 * ```yaml
 * ignored: [DL3008, SC2086]             # rules switched off
 * override: { error: [DL3006], warning: [], info: [], style: [] }   # severities
 * failure-threshold: warning            # error | warning | info | style | ignore | none
 * no-fail: true
 * trustedRegistries: [docker.io]        # (also spelt trusted-registries) for DL3026
 * ```
 *
 * Codes map through the rules' `hadolint` lists (src/ruleIds.ts); codes no rule replaces and settings dockrepro
 * has no counterpart for are noted, not refused: hadolint users keep long lists for hadolint's own rules.
 * Other keys hadolint reads (format, no-color, verbose, label-schema, strict-labels, …) only shape hadolint's own
 * output or rules, so they are passed over in silence. Malformed values are errors, as in hadolint.
 */
import { ConfigError, emptyConfig, type Config, type Threshold } from './configValue';
import { foreignNote, readRuleIds } from './ruleIds';
import type { Severity } from './rules/types';

/** hadolint's `failure-threshold` values in dockrepro's terms: `ignore`/`none` make any finding fail there. */
const THRESHOLDS: Record<string, Threshold> = { error: 'error', warning: 'warning', info: 'info', style: 'style', ignore: 'style', none: 'style' };

/** Applied from the lowest up, so a code listed under two severities ends up with the higher (as in hadolint). */
const OVERRIDE_ORDER: Severity[] = ['style', 'info', 'warning', 'error'];

/** True for the names hadolint's config goes by (`.hadolint.yaml`, `hadolint.yml`, …), for `--config`. */
export function isHadolintConfigName(name: string): boolean {
  return /^\.?hadolint\.ya?ml$/.test(name);
}

export function parseHadolintConfig(text: string, path: string): Config {
  const yaml = require('js-yaml') as typeof import('js-yaml');
  let data: unknown;
  try {
    // Empty or comments only: an empty config (js-yaml refuses an empty document).
    data = /^\s*$/.test(text.replace(/^\s*#.*$/gm, '')) ? {} : yaml.load(text);
  } catch (e) {
    throw new ConfigError(`${path}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === undefined || data === null) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${path}: expected a mapping at the top level`);
  const settings = data as Record<string, unknown>;
  const config: Config = { ...emptyConfig(path), from: 'hadolint' };
  const foreign: string[] = [];
  const unknown: string[] = [];
  const read = (key: string, value: unknown): string[] => {
    const list = codeList(value, `${path}: ${key}`);
    const meaning = readRuleIds(list);
    foreign.push(...meaning.foreign.filter((c) => !foreign.includes(c)));
    unknown.push(...meaning.unknown.map((m) => `${key}: ${m}`));
    config.notes.push(...meaning.widened.map((w) => `${key}: ${w}`));
    return meaning.ids;
  };

  for (const id of read('ignored', settings.ignored)) config.disabled.add(id);
  const override = settings.override ?? {};
  if (typeof override !== 'object' || override === null || Array.isArray(override)) throw new ConfigError(`${path}: override: expected a mapping of error/warning/info/style to lists of codes`);
  for (const severity of OVERRIDE_ORDER) {
    for (const id of read(`override.${severity}`, (override as Record<string, unknown>)[severity])) config.severities.set(id, severity);
  }
  const threshold = settings['failure-threshold'];
  if (threshold !== undefined) {
    if (typeof threshold !== 'string' || !(threshold in THRESHOLDS)) {
      throw new ConfigError(`${path}: failure-threshold: expected one of ${Object.keys(THRESHOLDS).join(', ')}, got ${JSON.stringify(threshold)}`);
    }
    config.failureThreshold = THRESHOLDS[threshold];
  }
  if (settings['no-fail'] === true) config.failureThreshold = 'none';
  const note = foreignNote(foreign);
  if (note) config.notes.push(note);
  config.notes.push(...unknown);
  for (const key of ['trustedRegistries', 'trusted-registries']) {
    if (settings[key] !== undefined) config.notes.push(`${key} is not applied (dockrepro has no rule like DL3026)`);
  }
  if (settings['disable-ignore-pragma'] === true) config.notes.push('disable-ignore-pragma is not applied (ignore pragmas still work)');
  return config;
}

/** A list of codes: hadolint takes a YAML list of strings. */
function codeList(value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new ConfigError(`${at}: expected a list of rule codes, got ${JSON.stringify(value)}`);
  return value as string[];
}
