/**
 * The binary state frame of the gateway's `state` stream: a fixed 40-byte header, then either
 * every cell of the viewport (a keyframe) or only the cells that changed since the frame the
 * client already has (a delta). One byte per cell, row-major, like {@link StateSource}.
 *
 * Layout (little endian):
 *
 * | offset | type | field                                                        |
 * | ------ | ---- | ------------------------------------------------------------ |
 * | 0      | u8   | frame type: 1 keyframe, 2 delta as pairs, 3 delta as runs    |
 * | 1      | u8   | format version (1)                                           |
 * | 2      | u16  | cols: cells per row of the view                              |
 * | 4      | u16  | rows of the view                                             |
 * | 6      | u16  | flags: bit 0 = the payload is deflate-raw compressed         |
 * | 8      | u32  | seq: the gateway's state tick this frame shows               |
 * | 12     | u32  | baseSeq: the tick a delta applies to (= seq for a keyframe)  |
 * | 16     | f64  | time: wall clock (ms since 1970) when the source was read    |
 * | 24     | u32  | x, y, w, h: the source region shown (4 x u32)                |
 * | 40     |      | payload                                                      |
 *
 * Payloads:
 * - keyframe: `cols * rows` bytes.
 * - pairs: u32 count, then per changed cell a varint gap (cells skipped since the previous
 *   changed cell) and its new byte. Best for scattered changes.
 * - runs: u32 count, then per run a varint skip (cells since the end of the previous run), a
 *   varint length and that many bytes. Best for clustered changes.
 *
 * Varints are unsigned LEB128 (7 bits a byte, high bit = more).
 *
 * A client that asked for compression (`subscribe` with `deflate: true`) may get frames with
 * flag bit 0 set: everything after the header is the payload above, deflate-raw compressed
 * (RFC 1951). The gateway compresses a frame once for every viewer of the same view and
 * base, and only sends it compressed when that is smaller. [SF-4]
 *
 * Invariants:
 * - [SF-1] Decoding a keyframe and then every later delta, in order, reproduces exactly the
 *   views the encoder was given.
 * - [SF-2] The encoder sends the smallest of pairs, runs and keyframe: a delta is never
 *   larger than the keyframe of the same view (it falls back to the keyframe).
 * - [SF-3] Downsampling is the maximum over each block, so a lone bright cell in a 1000x1000
 *   grid still shows on a 200x200 view; blocks tile the region exactly, with no cell counted
 *   twice or left out.
 * - [SF-4] Inflating a compressed frame's payload gives exactly the uncompressed frame's.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { InvalidArgumentError } from '../errors.js';

/** Frame type byte. */
export const StateFrameType = { KEY: 1, PAIRS: 2, RUNS: 3 } as const;
export type StateFrameType = (typeof StateFrameType)[keyof typeof StateFrameType];

/** The format version in byte 1. */
export const STATE_FRAME_VERSION = 1;
/** Bytes before the payload. */
export const STATE_HEADER_BYTES = 40;
/** Flags (u16 at byte 6): the payload is deflate-raw compressed. [SF-4] */
export const STATE_FLAG_DEFLATE = 1;
/** Largest inflated payload accepted: a keyframe of 65,535 x 65,535 would not fit anyway. */
const MAX_INFLATED = 1 << 28;

/** Two runs closer than this many unchanged cells are sent as one (a run header is >= 2 bytes). */
const MERGE_GAP = 2;

/** A region of the source grid and the resolution it is shown at. */
export interface Viewport {
  /** Left column of the region in the source grid. */
  readonly x: number;
  /** Top row of the region in the source grid. */
  readonly y: number;
  /** Width of the region in source cells. */
  readonly w: number;
  /** Height of the region in source cells. */
  readonly h: number;
  /** Cells per row of the view sent (<= w); each is the max over its block. */
  readonly cols: number;
  /** Rows of the view sent (<= h). */
  readonly rows: number;
}

/** What a frame header says. */
export interface StateFrameHeader {
  readonly type: StateFrameType;
  /** Flag bits (STATE_FLAG_DEFLATE). */
  readonly flags: number;
  readonly seq: number;
  readonly baseSeq: number;
  readonly time: number;
  readonly viewport: Viewport;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/**
 * Write the maximum over each block of `region` of `src` (a `srcWidth`-wide row-major grid)
 * into `out` (`cols * rows` bytes). [SF-3]
 *
 * @example
 * ```ts
 * const view = new Uint8Array(200 * 200);
 * downsampleMax(grid, 1000, { x: 0, y: 0, w: 1000, h: 1000, cols: 200, rows: 200 }, view);
 * ```
 */
export function downsampleMax(
  src: Uint8Array,
  srcWidth: number,
  vp: Viewport,
  out: Uint8Array,
): void {
  const { x, y, w, h, cols, rows } = vp;
  if (cols === w && rows === h) {
    // Full resolution: a row copy each (the common case of a small grid).
    for (let r = 0; r < rows; r++) {
      const from = (y + r) * srcWidth + x;
      out.set(src.subarray(from, from + cols), r * cols);
    }
    return;
  }
  // Block edges: floor(i * w / cols) tiles [0, w) exactly, each block at least one cell wide
  // because cols <= w. [SF-3]
  const xEdge = new Uint32Array(cols + 1);
  for (let c = 0; c <= cols; c++) xEdge[c] = x + Math.floor((c * w) / cols);
  for (let r = 0; r < rows; r++) {
    const y0 = y + Math.floor((r * h) / rows);
    const y1 = y + Math.floor(((r + 1) * h) / rows);
    const rowOut = r * cols;
    for (let c = 0; c < cols; c++) {
      const x0 = xEdge[c];
      const x1 = xEdge[c + 1];
      let m = 0;
      for (let sy = y0; sy < y1; sy++) {
        const base = sy * srcWidth;
        for (let sx = base + x0, end = base + x1; sx < end; sx++) {
          const v = src[sx];
          if (v > m) m = v;
        }
      }
      out[rowOut + c] = m;
    }
  }
}

function writeHeader(
  out: Uint8Array,
  type: StateFrameType,
  vp: Viewport,
  seq: number,
  baseSeq: number,
  time: number,
): void {
  const dv = new DataView(out.buffer, out.byteOffset, STATE_HEADER_BYTES);
  dv.setUint8(0, type);
  dv.setUint8(1, STATE_FRAME_VERSION);
  dv.setUint16(2, vp.cols, true);
  dv.setUint16(4, vp.rows, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, seq >>> 0, true);
  dv.setUint32(12, baseSeq >>> 0, true);
  dv.setFloat64(16, time, true);
  dv.setUint32(24, vp.x, true);
  dv.setUint32(28, vp.y, true);
  dv.setUint32(32, vp.w, true);
  dv.setUint32(36, vp.h, true);
}

/**
 * Encodes views into frames; keeps scratch space between calls so a steady stream of frames
 * allocates only the frames themselves.
 *
 * @example
 * ```ts
 * const enc = new StateFrameEncoder();
 * const key = enc.encode(view, null, vp, 1, Date.now());
 * const delta = enc.encode(nextView, view, vp, 2, Date.now(), 1);
 * ```
 */
export class StateFrameEncoder {
  #changed = new Uint32Array(0);

  /**
   * The frame for `view`: a keyframe when `prev` is null, else the smallest delta against
   * `prev` (the view of tick `baseSeq` that the client has), or a keyframe if that is
   * smaller. [SF-2]
   */
  encode(
    view: Uint8Array,
    prev: Uint8Array | null,
    vp: Viewport,
    seq: number,
    time: number,
    baseSeq = seq,
  ): Uint8Array {
    const n = vp.cols * vp.rows;
    if (prev === null || prev.length !== n) return this.#key(view, vp, seq, time);
    if (this.#changed.length < n) this.#changed = new Uint32Array(n);
    const changed = this.#changed;
    let count = 0;
    for (let i = 0; i < n; i++) if (view[i] !== prev[i]) changed[count++] = i;

    // Sizes of both encodings from the list of changed cells.
    let pairBytes = 4;
    let runBytes = 4;
    let runCount = 0;
    let prevIndex = -1;
    let runStart = -1;
    let runEnd = 0;
    let lastRunEnd = 0;
    for (let k = 0; k < count; k++) {
      const i = changed[k];
      pairBytes += varintLength(i - prevIndex - 1) + 1;
      prevIndex = i;
      if (runStart >= 0 && i - runEnd <= MERGE_GAP) {
        runEnd = i + 1;
      } else {
        if (runStart >= 0) {
          runBytes += varintLength(runStart - lastRunEnd) + varintLength(runEnd - runStart);
          runBytes += runEnd - runStart;
          lastRunEnd = runEnd;
          runCount++;
        }
        runStart = i;
        runEnd = i + 1;
      }
    }
    if (runStart >= 0) {
      runBytes += varintLength(runStart - lastRunEnd) + varintLength(runEnd - runStart);
      runBytes += runEnd - runStart;
      runCount++;
    }

    if (Math.min(pairBytes, runBytes) >= n) return this.#key(view, vp, seq, time); // [SF-2]
    if (pairBytes <= runBytes) {
      const out = new Uint8Array(STATE_HEADER_BYTES + pairBytes);
      writeHeader(out, StateFrameType.PAIRS, vp, seq, baseSeq, time);
      new DataView(out.buffer).setUint32(STATE_HEADER_BYTES, count, true);
      let pos = STATE_HEADER_BYTES + 4;
      prevIndex = -1;
      for (let k = 0; k < count; k++) {
        const i = changed[k];
        pos = writeVarint(out, pos, i - prevIndex - 1);
        out[pos++] = view[i];
        prevIndex = i;
      }
      return out;
    }
    const out = new Uint8Array(STATE_HEADER_BYTES + runBytes);
    writeHeader(out, StateFrameType.RUNS, vp, seq, baseSeq, time);
    new DataView(out.buffer).setUint32(STATE_HEADER_BYTES, runCount, true);
    let pos = STATE_HEADER_BYTES + 4;
    runStart = -1;
    runEnd = 0;
    lastRunEnd = 0;
    const flush = (): void => {
      pos = writeVarint(out, pos, runStart - lastRunEnd);
      pos = writeVarint(out, pos, runEnd - runStart);
      out.set(view.subarray(runStart, runEnd), pos);
      pos += runEnd - runStart;
      lastRunEnd = runEnd;
    };
    for (let k = 0; k < count; k++) {
      const i = changed[k];
      if (runStart >= 0 && i - runEnd <= MERGE_GAP) {
        runEnd = i + 1;
      } else {
        if (runStart >= 0) flush();
        runStart = i;
        runEnd = i + 1;
      }
    }
    if (runStart >= 0) flush();
    return out;
  }

  #key(view: Uint8Array, vp: Viewport, seq: number, time: number): Uint8Array {
    const n = vp.cols * vp.rows;
    const out = new Uint8Array(STATE_HEADER_BYTES + n);
    writeHeader(out, StateFrameType.KEY, vp, seq, seq, time);
    out.set(view.subarray(0, n), STATE_HEADER_BYTES);
    return out;
  }
}

/**
 * Read a frame's header.
 *
 * @throws InvalidArgumentError if the frame is too short, of another version or type.
 * @example
 * ```ts
 * const { seq, viewport } = readStateFrameHeader(frame);
 * ```
 */
export function readStateFrameHeader(frame: Uint8Array): StateFrameHeader {
  if (frame.length < STATE_HEADER_BYTES) {
    throw new InvalidArgumentError('frame', frame.length, `shorter than ${STATE_HEADER_BYTES}`);
  }
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const type = dv.getUint8(0);
  if (type !== 1 && type !== 2 && type !== 3) {
    throw new InvalidArgumentError('frame type', type, 'must be 1, 2 or 3');
  }
  const version = dv.getUint8(1);
  if (version !== STATE_FRAME_VERSION) {
    throw new InvalidArgumentError('frame version', version, `must be ${STATE_FRAME_VERSION}`);
  }
  return {
    type,
    flags: dv.getUint16(6, true),
    seq: dv.getUint32(8, true),
    baseSeq: dv.getUint32(12, true),
    time: dv.getFloat64(16, true),
    viewport: {
      cols: dv.getUint16(2, true),
      rows: dv.getUint16(4, true),
      x: dv.getUint32(24, true),
      y: dv.getUint32(28, true),
      w: dv.getUint32(32, true),
      h: dv.getUint32(36, true),
    },
  };
}

/**
 * A client's side of the state stream: applies frames in order and keeps the current view.
 *
 * @example
 * ```ts
 * const decoder = new StateFrameDecoder();
 * ws.on('message', (data, isBinary) => {
 *   if (isBinary) draw(decoder.apply(data as Buffer).cells, decoder.header!.viewport);
 * });
 * ```
 */
export class StateFrameDecoder {
  #cells = new Uint8Array(0);
  #header: StateFrameHeader | null = null;

  /** The header of the last frame applied, or null before the first keyframe. */
  get header(): StateFrameHeader | null {
    return this.#header;
  }

  /** The current view (`cols * rows` bytes, row-major); empty before the first keyframe. */
  get cells(): Uint8Array {
    return this.#cells;
  }

  /**
   * Apply one frame. [SF-1]
   *
   * @throws InvalidArgumentError for a malformed frame, or a delta that does not apply to
   *   the view held (another base tick or size): the stream is broken, resubscribe.
   */
  apply(input: Uint8Array): { header: StateFrameHeader; cells: Uint8Array } {
    const frame = inflateStateFrame(input); // [SF-4]
    const header = readStateFrameHeader(frame);
    const { cols, rows } = header.viewport;
    const n = cols * rows;
    if (header.type === StateFrameType.KEY) {
      if (frame.length !== STATE_HEADER_BYTES + n) {
        throw new InvalidArgumentError('keyframe length', frame.length, `must be 40 + ${n}`);
      }
      if (this.#cells.length !== n) this.#cells = new Uint8Array(n);
      this.#cells.set(frame.subarray(STATE_HEADER_BYTES));
      this.#header = header;
      return { header, cells: this.#cells };
    }
    const prev = this.#header;
    if (prev === null || prev.seq !== header.baseSeq || this.#cells.length !== n) {
      throw new InvalidArgumentError(
        'delta base',
        header.baseSeq,
        `the view held is ${prev === null ? 'none' : `tick ${prev.seq}`}`,
      );
    }
    const cells = this.#cells;
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const count = dv.getUint32(STATE_HEADER_BYTES, true);
    let pos = STATE_HEADER_BYTES + 4;
    const readVarint = (): number => {
      let value = 0;
      let scale = 1;
      for (;;) {
        if (pos >= frame.length) throw new InvalidArgumentError('frame', pos, 'truncated');
        const b = frame[pos++];
        value += (b & 0x7f) * scale;
        if (b < 0x80) return value;
        scale *= 128;
      }
    };
    let cursor = 0;
    for (let k = 0; k < count; k++) {
      cursor += readVarint();
      if (header.type === StateFrameType.PAIRS) {
        if (cursor >= n || pos >= frame.length) {
          throw new InvalidArgumentError('frame', cursor, 'pair out of range');
        }
        cells[cursor++] = frame[pos++];
      } else {
        const len = readVarint();
        if (cursor + len > n || pos + len > frame.length) {
          throw new InvalidArgumentError('frame', cursor, 'run out of range');
        }
        cells.set(frame.subarray(pos, pos + len), cursor);
        pos += len;
        cursor += len;
      }
    }
    this.#header = header;
    return { header, cells };
  }
}

/**
 * The frame with its payload deflate-raw compressed and flag bit 0 set, or `frame` itself when
 * compressing does not make it smaller. [SF-4]
 *
 * @example
 * ```ts
 * const small = deflateStateFrame(frame); // send `small` to viewers that asked for `deflate`
 * ```
 */
export function deflateStateFrame(frame: Uint8Array, level = 1): Uint8Array {
  const payload = deflateRawSync(frame.subarray(STATE_HEADER_BYTES), { level });
  if (STATE_HEADER_BYTES + payload.length >= frame.length) return frame;
  const out = new Uint8Array(STATE_HEADER_BYTES + payload.length);
  out.set(frame.subarray(0, STATE_HEADER_BYTES));
  out.set(payload, STATE_HEADER_BYTES);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint16(6, dv.getUint16(6, true) | STATE_FLAG_DEFLATE, true);
  return out;
}

/**
 * The uncompressed frame of a compressed one (flag bit 0), or `frame` itself. [SF-4]
 *
 * @throws InvalidArgumentError when the payload does not inflate.
 * @example
 * ```ts
 * const plain = inflateStateFrame(received);
 * ```
 */
export function inflateStateFrame(frame: Uint8Array): Uint8Array {
  if (frame.length < STATE_HEADER_BYTES) return frame; // readStateFrameHeader says why
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const flags = dv.getUint16(6, true);
  if ((flags & STATE_FLAG_DEFLATE) === 0) return frame;
  let payload: Buffer;
  try {
    payload = inflateRawSync(frame.subarray(STATE_HEADER_BYTES), { maxOutputLength: MAX_INFLATED });
  } catch (error) {
    throw new InvalidArgumentError(
      'frame',
      'deflate payload',
      `does not inflate: ${(error as Error).message}`,
    );
  }
  const out = new Uint8Array(STATE_HEADER_BYTES + payload.length);
  out.set(frame.subarray(0, STATE_HEADER_BYTES));
  out.set(payload, STATE_HEADER_BYTES);
  new DataView(out.buffer).setUint16(6, flags & ~STATE_FLAG_DEFLATE, true);
  return out;
}
