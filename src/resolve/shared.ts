/**
 * Lookups shared by the files of a run: one promise per key, started by the first file that asks. A run keeps
 * every promise, failures included, so what a failure holds must not grow with the files: V8 formats an
 * error's stack only when it is read, and until then the error keeps the frames of its throw alive, and with
 * them the closures of the file that first asked (its model, findings, build context). A 20,000-file
 * `fix --offline` kept ~4,000 of those (500 MB). The stack is formatted as the error is cached.
 */

/** Names already taken by a LookupKind: two kinds of one name would share keys and answer each other's type. */
const kindNames = new Set<string>();

/**
 * A kind of run-wide lookup and the type of its answer (`new LookupKind<RemoteRefs>('git-refs')`): a lookup
 * is asked by kind and id, so its caller gets the kind's type back without a cast.
 */
export class LookupKind<T> {
  /** Never set: carries T, so that a kind of one answer type is not accepted for another. */
  declare readonly answerType?: (answer: T) => T;

  constructor(readonly name: string) {
    if (kindNames.has(name)) throw new Error(`two lookup kinds are named '${name}'`);
    kindNames.add(name);
  }
}

/** The lookups of one run, by kind and id (FixerContext.lookups). */
export class Lookups {
  private readonly promises = new Map<string, Promise<unknown>>();

  /**
   * The run-wide promise for `id` of `kind`, started by `start` when nobody asked before. A failure is kept
   * like an answer (every later asker gets the same rejection) with its stack detached.
   */
  once<T>(kind: LookupKind<T>, id: string, start: () => Promise<T>): Promise<T> {
    const key = `${kind.name}:${id}`;
    // The only cast: the key's kind fixed the type of what was stored under it.
    let p = this.promises.get(key) as Promise<T> | undefined;
    if (!p) {
      p = start().catch((e: unknown) => {
        throw detachedError(e);
      });
      this.promises.set(key, p);
      p.catch(() => undefined); // a failure is reported by whoever awaits it, not as an unhandled rejection
    }
    return p;
  }

  /**
   * `start` run after the previous lookup of `id` has settled (failed or not), kept as the new one: for a
   * source whose own cache fills once an answer has arrived (pacote's packument cache), so later askers wait
   * for it instead of asking again, while a failure does not stop the next asker from trying.
   */
  after<T>(kind: LookupKind<T>, id: string, start: () => Promise<T>): Promise<T> {
    const key = `${kind.name}:${id}`;
    const previous = this.promises.get(key);
    const mine = (previous ? previous.catch(() => undefined).then(start) : start()).catch((e: unknown) => {
      throw detachedError(e);
    });
    this.promises.set(key, mine);
    mine.catch(() => undefined); // reported by whoever awaits it
    return mine;
  }
}

/** `e` with its stack formatted (a string), so that it no longer keeps the frames it was thrown from. */
function detachedError(e: unknown): unknown {
  if (e instanceof Error) void e.stack;
  return e;
}
