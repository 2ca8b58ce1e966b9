/** Reference implementations the gateway's fast paths are checked against. */
import type { Viewport } from '../../src/gateway/index.js';

/** The reference: max over each block, computed the obvious way. */
export function naiveDownsample(src: Uint8Array, width: number, vp: Viewport): Uint8Array {
  const out = new Uint8Array(vp.cols * vp.rows);
  for (let r = 0; r < vp.rows; r++) {
    for (let c = 0; c < vp.cols; c++) {
      let m = 0;
      const y0 = vp.y + Math.floor((r * vp.h) / vp.rows);
      const y1 = vp.y + Math.floor(((r + 1) * vp.h) / vp.rows);
      const x0 = vp.x + Math.floor((c * vp.w) / vp.cols);
      const x1 = vp.x + Math.floor(((c + 1) * vp.w) / vp.cols);
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) m = Math.max(m, src[y * width + x]);
      out[r * vp.cols + c] = m;
    }
  }
  return out;
}
