/** How apk (Alpine) command lines are read: shared by the apk-pin rule and the apk-version fixer. */
import { optionSpec } from '../args';

/**
 * apk-tools (v2 and v3) options that take a value: the global ones, which may come before the applet
 * (`apk -X URL add …`), and `apk add -t/--virtual NAME`, whose value names a virtual package, not one to pin.
 */
export const APK = optionSpec([
  '-X', '--repository', '--repositories-file', '-p', '--root', '--arch', '--cache-dir', '--keys-dir',
  '--cache-max-age', '--wait', '--timeout', '--progress-fd', '--from', '--uvol-manager',
  '-t', '--virtual',
]);
