/**
 * Why a finding is left as it is. no-fixer: no automatic fix exists for this rule or this case (it needs a
 * person); unsafe: a fix exists but may change the build (--unsafe); needs-network: the fix needs a lookup
 * (--offline and the lock lacks it); failed: a fix was attempted and did not work (dropped by verification,
 * a fixer error, a lookup that gave no usable answer).
 */
export type LeftReason = 'no-fixer' | 'unsafe' | 'needs-network' | 'failed';

/**
 * The one way to say "not fixed": thrown by lookups (resolve/), returned by fixers as a finding's result,
 * and turned into a left finding by the fix engine (src/fix.ts). `reason` is the sentence the user reads.
 */
export class NotFixed extends Error {
  constructor(
    readonly reason: string,
    readonly left: LeftReason,
  ) {
    super(reason);
  }
}
