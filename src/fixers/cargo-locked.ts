/**
 * cargo-locked: adds `--locked` to `cargo install`, so the crate's published Cargo.lock decides its
 * dependencies instead of a fresh resolution on every build. **Unsafe**: the dependency versions change from
 * what a build resolves today to the ones the crate's authors locked (usually older), so it needs --unsafe.
 */
import type { Fixer, Fix } from './types';
import { NotFixed } from '../util/notFixed';

const fixer: Fixer<'cargo-locked'> = {
  kind: 'cargo-locked',
  fix: (findings, ctx) =>
    findings.map((f): Fix | NotFixed => {
      const text = ctx.model.text;
      const word = text.slice(f.span.start, f.span.end);
      if (word.replace(/^["']|["']$/g, '') !== 'install') return new NotFixed('the `install` word of this finding was not found', 'failed');
      // Exec form (`["cargo", "install", …]`) takes another JSON string; shell form another word.
      const execForm = word.startsWith('"') && /^\s*,/.test(text.slice(f.span.end));
      const insert = execForm ? ', "--locked"' : ' --locked';
      return {
        title: "add --locked to 'cargo install' (the crate's Cargo.lock decides its dependencies)",
        edits: [{ start: f.span.end, end: f.span.end, text: insert }],
        applicability: 'unsafe',
      };
    }),
};

export default fixer;
