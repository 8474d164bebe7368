import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'go-pin',
    summary: 'Pin versions in go install/go get',
    severity: 'warning',
    hadolint: ['DL3062'],
  },
  check() {
    // TODO: not implemented yet
  },
});
