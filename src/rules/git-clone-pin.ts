import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'git-clone-pin',
    summary: 'Check out a full commit id after git clone',
    severity: 'warning',
  },
  check() {
    // TODO: not implemented yet
  },
});
