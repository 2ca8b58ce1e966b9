/**
 * How a connector that crosses a wire (MQTT) turns payloads into bytes and back.
 *
 * Invariants:
 * - [COD-1] An empty payload (`''`, `undefined`, `null`, a zero-length byte array) is encoded
 *   as zero bytes, which is what clears a retained message on an MQTT broker; zero bytes are
 *   decoded as `''`.
 * - [COD-2] A `Uint8Array` (or any ArrayBuffer view) passes through untouched, as the bytes it
 *   views; it comes back as a `Uint8Array` (on MQTT 5 marked by having no content type; on
 *   MQTT 3.1.1, which has no content type, bytes that do not parse as JSON).
 * - [COD-3] Everything else is JSON: encoded with `JSON.stringify`, marked
 *   `application/json` where the protocol can say so (MQTT 5).
 */
import { InvalidArgumentError } from '../errors.js';
import { isEmptyPayload } from './retained-store.js';

/** What an encoded payload is on the wire. */
export interface EncodedPayload {
  readonly bytes: Uint8Array;
  /** The MQTT 5 content type, or undefined for raw bytes. */
  readonly contentType: string | undefined;
}

/**
 * A payload codec.
 *
 * @example
 * ```ts
 * const text: PayloadCodec = {
 *   encode: (p) => ({ bytes: Buffer.from(String(p)), contentType: 'text/plain' }),
 *   decode: (bytes) => Buffer.from(bytes).toString('utf8'),
 * };
 * ```
 */
export interface PayloadCodec {
  encode(payload: unknown): EncodedPayload;
  /** `contentType` is the MQTT 5 content type, `undefined` when absent or on MQTT 3.1.1. */
  decode(bytes: Uint8Array, contentType: string | undefined, protocolVersion: 4 | 5): unknown;
}

const JSON_TYPE = 'application/json';
const EMPTY: EncodedPayload = Object.freeze({ bytes: new Uint8Array(0), contentType: undefined });
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The default codec: JSON, with byte arrays passed through and empty payloads as zero bytes.
 * [COD-1] [COD-2] [COD-3]
 *
 * @example
 * ```ts
 * const { bytes } = jsonCodec.encode({ t: 1.5 }); // '{"t":1.5}' as UTF-8
 * jsonCodec.decode(bytes, 'application/json', 5); // { t: 1.5 }
 * ```
 */
export const jsonCodec: PayloadCodec = {
  encode(payload: unknown): EncodedPayload {
    if (isEmptyPayload(payload)) return EMPTY; // [COD-1]
    if (ArrayBuffer.isView(payload)) {
      // [COD-2]
      return {
        bytes: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength),
        contentType: undefined,
      };
    }
    if (payload instanceof ArrayBuffer)
      return { bytes: new Uint8Array(payload), contentType: undefined };
    const text = JSON.stringify(payload);
    if (text === undefined) {
      throw new InvalidArgumentError('payload', typeof payload, 'not representable as JSON');
    }
    return { bytes: Buffer.from(text, 'utf8'), contentType: JSON_TYPE };
  },
  decode(bytes: Uint8Array, contentType: string | undefined, protocolVersion: 4 | 5): unknown {
    if (bytes.byteLength === 0) return ''; // [COD-1]
    if (protocolVersion === 5 && contentType !== JSON_TYPE) return copy(bytes); // [COD-2]
    try {
      return JSON.parse(decoder.decode(bytes)) as unknown;
    } catch {
      return copy(bytes); // [COD-2] on 3.1.1: not JSON, so raw bytes
    }
  },
};

/** A plain Uint8Array that owns its bytes (not a view of mqtt.js's receive buffer). */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
