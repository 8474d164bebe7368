import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'useradd-uid',
    summary: 'Create users and groups with explicit ids',
    severity: 'warning',
  },
  check() {
    // TODO: not implemented yet
  },
});
