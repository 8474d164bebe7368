import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'cargo-pin',
    summary: 'Pin versions and use --locked in cargo install',
    severity: 'warning',
  },
  check() {
    // TODO: not implemented yet
  },
});
