/**
 * The text a shell lexes, with the Dockerfile offset of each of its characters, and the pool the offsets
 * arrays are taken from (see allocOffsets: measured as the costliest line of runSource before it).
 */

/** A script text plus, for every character, its offset in the Dockerfile (one extra entry for the end). */
export interface Source {
  text: string;
  offsets: Offsets;
}

/**
 * Dockerfile offsets of characters. Typed arrays where text is copied in bulk: they are views, not copies,
 * when a plain word takes its slice, and the garbage collector does not scan them (measured on the corpus).
 */
export type Offsets = Int32Array | number[];

export function sliceOffsets(off: Offsets, from: number, to: number): Offsets {
  return off instanceof Int32Array ? off.subarray(from, to) : off.slice(from, to);
}

/**
 * Offsets arrays are views into shared 64 KiB buffers: a typed array of its own per RUN (an ArrayBuffer whose
 * memory lives outside the heap) was the costliest line of runSource, ~2 µs each. A buffer is freed once no
 * view of it is left, i.e. with the models of the ~100 RUNs it served; a big array gets its own.
 */
const OFFSETS_POOL = 16 * 1024;
let offsetsPool = new ArrayBuffer(OFFSETS_POOL * 4);
let offsetsUsed = 0;

/** A zeroed Int32Array of `n` entries. */
export function allocOffsets(n: number): Int32Array {
  if (n > OFFSETS_POOL / 8) return new Int32Array(n);
  if (offsetsUsed + n > OFFSETS_POOL) {
    offsetsPool = new ArrayBuffer(OFFSETS_POOL * 4);
    offsetsUsed = 0;
  }
  const view = new Int32Array(offsetsPool, offsetsUsed * 4, n);
  offsetsUsed += n;
  return view;
}

export function sourceFromText(text: string, startOffset: number): Source {
  const offsets = allocOffsets(text.length + 1);
  for (let i = 0; i <= text.length; i++) offsets[i] = startOffset + i;
  return { text, offsets };
}
