/**
 * What SARIF viewers (GitHub code scanning first) show about a rule: its description and help, read from the
 * rule's page in docs/rules/ (shipped in the package), and how much it matters for security. Only the SARIF
 * reporter loads this module, so reading the pages never costs the other formats (or the editor) anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleMeta } from '../rules/types';

/** GitHub truncates descriptions longer than this (and rejects some); keep well inside. */
const MAX_DESCRIPTION = 1000;

/**
 * The GitHub `security-severity` (a number 0.0-10.0 written as a string; 7.0+ is "high", 4.0+ "medium") of
 * the rules whose findings are a supply-chain risk and not only a reproducibility one. Running or trusting
 * unverified downloads ranks highest; a floating package version lowest.
 */
const SECURITY_SEVERITY: Record<string, string> = {
  'curl-pipe-shell': '8.0',
  'unverified-download': '7.5',
  'add-checksum': '7.0',
  'image-lock': '6.5',
  'git-clone-pin': '5.0',
  'image-digest': '5.0',
  'image-tag': '4.0',
  'apt-pin': '3.0',
  'apk-pin': '3.0',
  'dnf-pin': '3.0',
  'gem-pin': '3.0',
  'go-pin': '3.0',
  'cargo-pin': '3.0',
  'npm-pin': '3.0',
  'pip-pin': '3.0',
  'apt-upgrade': '2.0',
};

export interface ReportingDescriptor {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help?: { text: string; markdown: string };
  helpUri: string;
  defaultConfiguration: { level: string };
  properties: { tags: string[]; 'security-severity'?: string };
}

/**
 * docs/rules next to the build output: `dist/report/` (tsc), `dist/` (the bundle) or `src/report/` (tests)
 * are one or two levels below the package root.
 */
function rulesDocsDir(): string | undefined {
  return [join(__dirname, '..', 'docs', 'rules'), join(__dirname, '..', '..', 'docs', 'rules')].find((d) => existsSync(d));
}

/** The page of a rule without its front matter, or undefined if it is missing. */
export function rulePage(id: string, dir = rulesDocsDir()): string | undefined {
  if (!dir || !/^[a-z0-9-]+$/.test(id)) return undefined;
  try {
    return readFileSync(join(dir, `${id}.md`), 'utf8').replace(/\r\n/g, '\n').replace(/^---\n[\s\S]*?\n---\n/, '').trim();
  } catch {
    return undefined;
  }
}

/**
 * The "## What it does" section as one plain line (code markers dropped, list items run on), cut at a word
 * before the length GitHub shows: a rule's first paragraph often only introduces a list.
 */
export function whatItDoes(page: string): string | undefined {
  const section = /^## What it does\n([\s\S]*?)(?=^#|(?![\s\S]))/m.exec(page);
  if (!section) return undefined;
  const text = section[1].replace(/`/g, '').replace(/\s*\n\s*/g, ' ').trim();
  if (text.length <= MAX_DESCRIPTION) return text || undefined;
  return `${text.slice(0, text.lastIndexOf(' ', MAX_DESCRIPTION - 1))} …`;
}

export function ruleDescriptor(meta: RuleMeta, level: string, helpBase: string, docsDir = rulesDocsDir()): ReportingDescriptor {
  const page = rulePage(meta.id, docsDir);
  const severity = SECURITY_SEVERITY[meta.id];
  return {
    id: meta.id,
    shortDescription: { text: meta.summary },
    fullDescription: { text: (page && whatItDoes(page)) || meta.summary },
    ...(page && { help: { text: page, markdown: page } }),
    helpUri: `${helpBase}${meta.id}.md`,
    defaultConfiguration: { level },
    properties: {
      tags: severity ? ['reproducibility', 'security', 'supply-chain'] : ['reproducibility'],
      ...(severity && { 'security-severity': severity }),
    },
  };
}
