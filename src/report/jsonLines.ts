/**
 * JSON Lines: one line per file, each the file's entry of the json format (`files[]`, docs/formats.md), written
 * as soon as the file is linted. No document around them and no summary, so a consumer reads line by line
 * (`jq -c`, a log pipeline) and a run cut short still leaves every finished line whole.
 */
import type { StreamingReporter } from './types';
import { jsonFile } from './json';
import { wholeReport } from './shared';
import { terminalSafeJson } from '../util/escape';

export const streamJsonLines: StreamingReporter = () => ({
  start: () => '',
  // JSON.stringify without indentation escapes every line break inside strings: one object is one line.
  file: (file) => `${terminalSafeJson(JSON.stringify(jsonFile(file)))}\n`,
  end: () => '',
});

export const formatJsonLines = wholeReport(streamJsonLines);
