import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'curl-pipe-shell',
    summary: 'Do not pipe a download into a shell or interpreter',
    severity: 'warning',
  },
  check() {
    // TODO: not implemented yet
  },
});
