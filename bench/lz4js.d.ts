/** The part of `lz4js` (no types of its own) that bench/state-codec.ts uses. */
declare module 'lz4js' {
  export function compress(src: Uint8Array): Uint8Array;
  export function decompress(src: Uint8Array): Uint8Array;
  const lz4: { compress: typeof compress; decompress: typeof decompress };
  export default lz4;
}
