import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'gem-pin',
    summary: 'Pin versions in gem install',
    severity: 'warning',
    hadolint: ['DL3028'],
  },
  check() {
    // TODO: not implemented yet
  },
});
