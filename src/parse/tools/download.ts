/** How curl and wget command lines are read: shared by the download rules and the checksum fixers. */
import { optionSpec } from '../args';

/** curl options that take a value (curl 8 `--help all`), so bundles like `-fsSLo FILE` parse right. */
export const CURL = optionSpec([
  '-A', '-b', '-c', '-C', '-d', '-D', '-e', '-E', '-F', '-H', '-K', '-m', '-o', '-P', '-Q', '-r', '-t', '-T', '-u',
  '-U', '-w', '-x', '-X', '-y', '-Y', '-z', '--output', '--output-dir', '--header', '--user-agent', '--data',
  '--data-raw', '--data-binary', '--data-urlencode', '--form', '--request', '--user', '--proxy', '--retry',
  '--retry-delay', '--retry-max-time', '--max-time', '--connect-timeout', '--cacert', '--capath', '--cert', '--key',
  '--resolve', '--url', '--write-out', '--range', '--referer', '--cookie', '--cookie-jar', '--config', '--proto',
  '--proto-redir', '--upload-file', '--dump-header', '--limit-rate', '--interface', '--stderr', '--trace',
  '--trace-ascii', '--continue-at', '--max-filesize', '--max-redirs', '--netrc-file', '--oauth2-bearer',
  '--pinnedpubkey', '--ciphers', '--dns-servers', '--speed-limit', '--speed-time', '--time-cond', '--connect-to',
]);

/** wget (GNU and busybox) options that take a value. */
export const WGET = optionSpec([
  '-O', '-o', '-a', '-e', '-t', '-T', '-w', '-P', '-U', '-i', '-B', '-l', '-A', '-R', '-D', '-I', '-X', '-Q',
  '--output-document', '--output-file', '--append-output', '--execute', '--tries', '--timeout', '--wait',
  '--directory-prefix', '--user-agent', '--input-file', '--base', '--level', '--accept', '--reject', '--domains',
  '--header', '--user', '--password', '--post-data', '--post-file', '--ca-certificate', '--quota', '--limit-rate',
]);
