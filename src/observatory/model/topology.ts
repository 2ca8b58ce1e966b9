/**
 * A static grid topology: a W x H torus where each cell's neighbours are its 8 Moore
 * neighbours, wrapping at the edges. Stored flat in an Int32Array (8 entries per cell), so a
 * million cells cost 32 MB and no per-cell objects [TOP-1].
 *
 * Invariants:
 * - [TOP-1] Every cell has exactly 8 neighbours, its Moore neighbourhood on the torus, stored
 *   flat (8 Int32 entries per cell), with no per-cell object.
 */
import { InvalidArgumentError } from '../../errors.js';

/**
 * @example
 * ```ts
 * const t = new TorusTopology(50, 50);
 * t.neighboursOf(0); // [2499, 2450, 2451, 49, 1, 99, 50, 51]
 * ```
 */
export class TorusTopology {
  readonly width: number;
  readonly height: number;
  readonly size: number;
  /** Neighbour ids, `DEGREE` per cell: cell i's are `neighbours[i*8 .. i*8+7]`. */
  readonly neighbours: Int32Array;
  static readonly DEGREE = 8;

  constructor(width: number, height: number) {
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new InvalidArgumentError(name, v, 'must be an integer >= 1');
    }
    if (width * height * 8 > 2 ** 30) {
      throw new InvalidArgumentError('size', `${width}x${height}`, 'too many cells (at most 2^27)');
    }
    this.width = width;
    this.height = height;
    this.size = width * height;
    const n = new Int32Array(this.size * 8);
    let k = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            if (dx === 0 && dy === 0) continue;
            const nx = (x + dx + width) % width;
            const ny = (y + dy + height) % height;
            n[k++] = ny * width + nx;
          }
        }
      }
    }
    this.neighbours = n;
  }

  /** The 8 neighbour ids of cell `id` (a copy; hot paths index `neighbours` directly). */
  neighboursOf(id: number): number[] {
    return Array.from(this.neighbours.subarray(id * 8, id * 8 + 8));
  }
}
