/**
 * Per-file limits. Far above what real Dockerfiles reach (in a corpus of 506 real ones, the most findings in
 * one file is 30), and low enough that one generated or hostile file cannot make a run take gigabytes: a
 * `pip install` of 150,000 packages is 150,000 findings, each a fix to look up, apply and verify (0.9 GB).
 */
export const MAX_FINDINGS_PER_FILE = 5000;

/** The file note when a file has more findings than the limit (lint reports the first ones, in source order). */
export function tooManyFindings(fixing: boolean): string {
  return `more than ${MAX_FINDINGS_PER_FILE} findings (dockrepro's limit for one file): the first ${MAX_FINDINGS_PER_FILE} are reported, the rest is not checked${fixing ? '; the file is not fixed' : ''}`;
}
