/** How `cargo install` command lines are read: shared by the cargo-pin rule and the cargo-version fixer. */
import { optionSpec } from '../args';

/** `cargo install` options that take a value (cargo 1.83 `cargo install --help`, global options included). */
export const CARGO_INSTALL = optionSpec([
  '--version', '--vers', '--git', '--branch', '--tag', '--rev', '--path', '--root', '--index', '--registry',
  '--features', '-F', '--target', '--target-dir', '--profile', '--bin', '--example', '--jobs', '-j', '--config',
  '-Z', '--color', '-C', '--message-format', '--lockfile-path',
]);
