import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'apt-pin',
    summary: 'Pin versions in apt-get/apt/aptitude install',
    severity: 'warning',
    hadolint: ['DL3008'],
  },
  check() {
    // TODO: not implemented yet
  },
});
