/** How go command lines are read: shared by the go-pin rule and the go-version fixer. */
import { optionSpec } from '../args';
import type { Word } from '../shell';

/**
 * go build/install/get/run flags that take a value (`go help build`, `go help get`), written here with two
 * dashes: Go flags are single-dash words (`-tags`), which parseArgs would read as bundled letters, so words
 * are normalised to the equivalent `--tags` (Go accepts both) before parsing.
 */
export const GO_FLAGS = optionSpec([
  '--C', '--p', '--o', '--asmflags', '--buildmode', '--compiler', '--gccgoflags', '--gcflags', '--installsuffix',
  '--ldflags', '--mod', '--modfile', '--overlay', '--pgo', '--pkgdir', '--tags', '--toolexec', '--exec',
  '--covermode', '--coverpkg', '--coverprofile',
]);

/** `-tags` → `--tags` (the value offsets still point at the written bytes), so GO_FLAGS can parse go's words. */
export function longFlags(args: Word[]): Word[] {
  return args.map((w) => (w.value && /^-[^-]/.test(w.value) ? { ...w, value: `-${w.value}`, valueOffsets: [w.valueOffsets[0], ...w.valueOffsets] } : w));
}
