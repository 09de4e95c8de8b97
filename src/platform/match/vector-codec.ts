// Embeddings travel from Postgres as bytea of big-endian float32 (what float4send produces),
// because pg parses float8[] text character by character: for a few hundred 256-dimension
// vectors that parse alone costs more than the whole candidate query.

/** Big-endian float32 bytes, matching Postgres float4send. */
export function encodeFloat32(v: ArrayLike<number>): Buffer {
  const buf = Buffer.alloc(v.length * 4)
  for (let i = 0; i < v.length; i++) buf.writeFloatBE(v[i], i * 4)
  return buf
}

export function decodeFloat32(buf: Uint8Array): Float32Array {
  const out = new Float32Array(buf.byteLength >>> 2)
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, false)
  return out
}

/** The same rounding the stored form applies, so fresh and stored vectors score alike. */
export function toFloat32(v: ArrayLike<number>): Float32Array {
  return Float32Array.from(v)
}
