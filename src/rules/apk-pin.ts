import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'apk-pin',
    summary: 'Pin versions in apk add',
    severity: 'warning',
    hadolint: ['DL3018'],
  },
  check() {
    // TODO: not implemented yet
  },
});
