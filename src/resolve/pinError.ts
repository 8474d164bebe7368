/**
 * A lookup (image or package) that gave no answer to write: `left` says how the finding is reported —
 * 'needs-network' when --offline and the lock lacks it, 'failed' when the lookup did not work.
 */
export class PinError extends Error {
  constructor(
    message: string,
    readonly left: 'needs-network' | 'failed',
  ) {
    super(message);
  }
}
