import { fixText } from '../../src/fix';
import fixer from '../../src/fixers/cargo-locked';
import rule from '../../src/rules/cargo-pin';
import { withFixer } from '../helpers/fixerTable';

async function fix(text: string, unsafe = true) {
  return fixText(text, { rules: [rule], unsafe, offline: true, baseId: 10001, fixers: withFixer(fixer) });
}

describe('cargo-locked fixer', () => {
  it('adds --locked after install (shell form), only with --unsafe', async () => {
    const text = 'FROM rust:1.83.0\nRUN cargo install ripgrep@14.1.1 \\\n  && cargo +nightly install --path . \n';
    const r = await fix(text);
    expect(r.text).toBe('FROM rust:1.83.0\nRUN cargo install --locked ripgrep@14.1.1 \\\n  && cargo +nightly install --locked --path . \n');
    expect(r.left).toEqual([]);
    const safe = await fix(text, false);
    expect(safe.text).toBe(text);
    expect(safe.left.map((l) => l.left)).toEqual(['unsafe', 'unsafe']);
  });

  it('exec form gets another JSON string', async () => {
    const r = await fix('FROM rust:1.83.0\nRUN ["cargo", "install", "ripgrep@14.1.1"]\n');
    expect(r.text).toBe('FROM rust:1.83.0\nRUN ["cargo", "install", "--locked", "ripgrep@14.1.1"]\n');
    expect(r.left).toEqual([]);
  });

  it('a command that already has --locked or --frozen is not touched, and fixing twice changes nothing', async () => {
    const text = 'FROM rust:1.83.0\nRUN cargo install --frozen a@1.0.0 && cargo --locked install b@2.0.0\n';
    expect((await fix(text)).text).toBe(text);
    const once = await fix('FROM rust:1.83.0\nRUN cargo install x@1.0.0\n');
    expect((await fix(once.text)).text).toBe(once.text);
  });
});
