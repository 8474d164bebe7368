/**
 * image-digest: pins an image reference to the digest its tag names today, and makes a floating tag precise
 * on the way (`python:3` → `python:3.12.7@sha256:…`). Safe: the build gets the same image it gets today.
 */
import type { Fixer } from './types';
import { pinSite } from './imagePin';

const fixer: Fixer<'image-digest'> = {
  kind: 'image-digest',
  fix: (findings, ctx) => Promise.all(findings.map((f) => pinSite(f, ctx, true))),
};

export default fixer;
