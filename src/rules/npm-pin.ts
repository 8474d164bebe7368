import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'npm-pin',
    summary: 'Pin exact versions in npm/yarn/pnpm installs; use `npm ci` with a lockfile',
    severity: 'warning',
    hadolint: ['DL3016'],
  },
  check() {
    // TODO: not implemented yet
  },
});
