/**
 * Shared pieces of the registry client tests (test/resolve): options for a client that gives up quickly, the
 * error a promise is expected to reject with, and a credentials callback that records what it was asked.
 */
import { RegistryError, type Credentials, type RegistryClientOptions } from '../../src/resolve/registry';

/** One retry after 5 ms, 5 s per request at most: failures show up fast, a slow registry still answers. */
export const fast: RegistryClientOptions = { retries: 1, backoffMs: 5, timeoutMs: 5000 };

/** The error `p` rejects with, after checking it is a `type`; throws when `p` resolves instead. */
export async function rejectsWith<E extends Error>(p: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The RegistryError `p` rejects with. */
export const rejection = (p: Promise<unknown>): Promise<RegistryError> => rejectsWith(p, RegistryError);

/** A `credentials` callback that answers only for `host`, and the hosts the client asked it about, in order. */
export function credentialsOnlyFor(host: string, credentials: Credentials | undefined): { asked: string[]; credentials: (h: string) => Credentials | undefined } {
  const asked: string[] = [];
  return {
    asked,
    credentials: (h) => {
      asked.push(h);
      return h === host ? credentials : undefined;
    },
  };
}
