import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'apt-upgrade',
    summary: 'Do not upgrade all packages (`apt-get upgrade`) in a build',
    severity: 'warning',
    hadolint: ['DL3005'],
  },
  check() {
    // TODO: not implemented yet
  },
});
