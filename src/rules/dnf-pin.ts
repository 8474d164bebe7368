import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'dnf-pin',
    summary: 'Pin versions in yum/dnf/microdnf/zypper/tdnf install',
    severity: 'warning',
    hadolint: ['DL3033', 'DL3041', 'DL3037'],
  },
  check() {
    // TODO: not implemented yet
  },
});
