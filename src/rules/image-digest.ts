import { defineRule } from './types';

export default defineRule({
  meta: {
    id: 'image-digest',
    summary: 'Pin every external image to a digest (`@sha256:…`)',
    severity: 'warning',
  },
  check() {
    // TODO: not implemented yet
  },
});
