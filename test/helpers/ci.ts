/**
 * The one definition of "running in CI" for every suite: `CI` set to anything but the empty string. Most CI
 * services set `CI=true`, not all (Woodpecker sets `CI=woodpecker`; people type `CI=1`). Taking a CI run for a
 * local one turns a missing tool or input into a skip nobody reads; the reverse only makes a missing tool fail
 * loudly on a machine where someone set `CI` on purpose. So any value counts.
 */
export function inCI(): boolean {
  return (process.env.CI ?? '') !== '';
}
