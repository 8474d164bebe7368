import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'add-checksum',
    summary: 'Verify remote ADD sources with --checksum or a commit id',
    severity: 'warning',
  },
  check() {
    // TODO: not implemented yet
  },
});
