import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'image-tag',
    summary: 'Use a precise version tag, not a missing, `latest` or floating tag',
    severity: 'warning',
    hadolint: ['DL3006', 'DL3007'],
  },
  check() {
    // TODO: not implemented yet
  },
});
