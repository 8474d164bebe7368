/**
 * Lookups shared by the files of a run: one promise per key, started by the first file that asks. A run keeps
 * every promise, failures included, so what a failure holds must not grow with the files: V8 formats an
 * error's stack only when it is read, and until then the error keeps the frames of its throw alive, and with
 * them the closures of the file that first asked (its model, findings, build context). A 20,000-file
 * `fix --offline` kept ~4,000 of those (500 MB). The stack is formatted as the error is cached.
 */
export type Lookups = Map<string, Promise<unknown>>;

/** The run-wide promise for `key`, started by `start` when nobody asked before. */
export function sharedLookup<T>(lookups: Lookups, key: string, start: () => Promise<T>): Promise<T> {
  let p = lookups.get(key) as Promise<T> | undefined;
  if (!p) {
    p = start().catch((e: unknown) => {
      throw detachedError(e);
    });
    lookups.set(key, p);
    p.catch(() => undefined); // a failure is reported by whoever awaits it, not as an unhandled rejection
  }
  return p;
}

/** `e` with its stack formatted (a string), so that it no longer keeps the frames it was thrown from. */
export function detachedError(e: unknown): unknown {
  if (e instanceof Error) void e.stack;
  return e;
}
