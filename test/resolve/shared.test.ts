/**
 * The run-wide lookups (src/resolve/shared.ts): one promise per kind and id, failures kept like answers and
 * never reported as unhandled rejections; `after` queues behind the previous lookup of an id; the answer's
 * type comes from the kind.
 */
import { LookupKind, Lookups } from '../../src/resolve/shared';

const NUMBERS = new LookupKind<number>('test-numbers');
const WORDS = new LookupKind<string>('test-words');

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Lookups.once', () => {
  it('starts a lookup once per kind and id, however many ask while it is in flight or after', async () => {
    const lookups = new Lookups();
    let started = 0;
    const start = async () => {
      started++;
      await tick();
      return 42;
    };
    const inFlight = await Promise.all([1, 2, 3].map(() => lookups.once(NUMBERS, 'a', start)));
    expect(inFlight).toEqual([42, 42, 42]);
    expect(await lookups.once(NUMBERS, 'a', start)).toBe(42);
    expect(started).toBe(1);
    // Another id, or another kind with the same id, is another lookup.
    expect(await lookups.once(NUMBERS, 'b', async () => 7)).toBe(7);
    expect(await lookups.once(WORDS, 'a', async () => 'word')).toBe('word');
    // Another run (another Lookups) asks again.
    expect(await new Lookups().once(NUMBERS, 'a', async () => 1)).toBe(1);
  });

  it('keeps a failure: every later asker gets the same error, the lookup is not started again, nothing is unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const lookups = new Lookups();
      let started = 0;
      const failing = async (): Promise<number> => {
        started++;
        throw new Error('index down');
      };
      // Nobody awaits this one yet: a kept failure must not surface as an unhandled rejection.
      void lookups.once(NUMBERS, 'x', failing).catch(() => undefined);
      lookups.once(NUMBERS, 'y', failing);
      await tick();
      const first = await lookups.once(NUMBERS, 'x', failing).catch((e: unknown) => e);
      const second = await lookups.once(NUMBERS, 'x', async () => 1).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(Error);
      expect(second).toBe(first);
      expect((first as Error).message).toBe('index down');
      expect(started).toBe(2);
      await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Lookups.after', () => {
  it('starts after the previous lookup of the id has settled, failed or not, and becomes the one the next waits for', async () => {
    const lookups = new Lookups();
    const events: string[] = [];
    const step = (name: string, fail = false) => async () => {
      events.push(`start ${name}`);
      await tick();
      events.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a = lookups.after(WORDS, 'pkg', step('a', true));
    const b = lookups.after(WORDS, 'pkg', step('b'));
    const c = lookups.after(WORDS, 'pkg', step('c'));
    const other = lookups.after(WORDS, 'other', step('other'));
    await expect(a).rejects.toThrow('a');
    expect(await b).toBe('b');
    expect(await c).toBe('c');
    expect(await other).toBe('other');
    expect(events.filter((e) => e !== 'start other' && e !== 'end other')).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    // `other` is another id: it did not wait for `a`.
    expect(events.indexOf('start other')).toBeLessThan(events.indexOf('end a'));
  });
});

describe('LookupKind', () => {
  it('gives the answer its type, and two kinds cannot share a name (they would share keys)', async () => {
    const lookups = new Lookups();
    const n: number = await lookups.once(NUMBERS, 'typed', async () => 3);
    expect(n).toBe(3);
    // @ts-expect-error: a kind of numbers does not take a lookup that answers a string
    await lookups.once(NUMBERS, 'mistyped', async () => 'three');
    // @ts-expect-error: nor is its answer a string
    const s: string = await lookups.once(NUMBERS, 'typed', async () => 3);
    expect(s).toBe(3);
    expect(() => new LookupKind<boolean>('test-numbers')).toThrow("two lookup kinds are named 'test-numbers'");
  });
});
