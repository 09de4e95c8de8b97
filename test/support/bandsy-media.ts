// Small, real media files made in code for the media sample tests (no binary fixtures): a PCM WAV
// of N seconds of silence, a constant-bitrate MP3 of N seconds, and an MP4 whose movie header says
// N seconds with one video track. music-metadata reads each one's duration from its own headers.
import { randomUUID } from 'node:crypto'

/** 16-bit PCM WAV: RIFF header, fmt chunk, data chunk of silence. */
export function wavFile(seconds: number, o: { sampleRate?: number; channels?: number } = {}): Buffer {
  const sampleRate = o.sampleRate ?? 8000
  const channels = o.channels ?? 1
  const blockAlign = channels * 2
  const dataBytes = Math.round(seconds * sampleRate) * blockAlign
  const head = Buffer.alloc(44)
  head.write('RIFF', 0, 'ascii')
  head.writeUInt32LE(36 + dataBytes, 4)
  head.write('WAVE', 8, 'ascii')
  head.write('fmt ', 12, 'ascii')
  head.writeUInt32LE(16, 16)
  head.writeUInt16LE(1, 20) // PCM
  head.writeUInt16LE(channels, 22)
  head.writeUInt32LE(sampleRate, 24)
  head.writeUInt32LE(sampleRate * blockAlign, 28)
  head.writeUInt16LE(blockAlign, 32)
  head.writeUInt16LE(16, 34)
  head.write('data', 36, 'ascii')
  head.writeUInt32LE(dataBytes, 40)
  return Buffer.concat([head, Buffer.alloc(dataBytes)])
}

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono frames of silence (1152 samples each). */
export function mp3File(seconds: number): Buffer {
  const frames = Math.round((seconds * 44_100) / 1152)
  const frameBytes = Math.floor((144 * 128_000) / 44_100) // 417, no padding bit
  const frame = Buffer.alloc(frameBytes)
  frame.writeUInt32BE(0xfffb90c4, 0) // sync, MPEG-1, Layer III, no CRC, 128k, 44.1k, no padding, mono
  return Buffer.concat(Array.from({ length: frames }, () => frame))
}

const box = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts)
  const head = Buffer.alloc(8)
  head.writeUInt32BE(8 + body.length, 0)
  head.write(type, 4, 'ascii')
  return Buffer.concat([head, body])
}
const fullBox = (type: string, version: number, ...parts: Buffer[]) => box(type, Buffer.from([version, 0, 0, 0]), ...parts)
const u32 = (...ns: number[]) => {
  const b = Buffer.alloc(4 * ns.length)
  ns.forEach((n, i) => b.writeUInt32BE(n >>> 0, i * 4))
  return b
}
const MATRIX = u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)

/** ISO base media file: ftyp, and a moov with a movie header of the given length and one track of the given kind. */
export function mp4File(seconds: number, o: { brand?: string; handler?: 'vide' | 'soun' } = {}): Buffer {
  const timescale = 1000
  const duration = Math.round(seconds * timescale)
  const brand = o.brand ?? 'isom'
  const ftyp = box('ftyp', Buffer.from(brand, 'ascii'), u32(0x200), Buffer.from(`${brand}mp41`, 'ascii'))
  const mvhd = fullBox(
    'mvhd',
    0,
    u32(0, 0, timescale, duration, 0x10000),
    Buffer.from([1, 0, 0, 0]),
    Buffer.alloc(8),
    MATRIX,
    Buffer.alloc(24),
    u32(2),
  )
  const tkhd = fullBox(
    'tkhd',
    0,
    u32(0, 0, 1, 0, duration),
    Buffer.alloc(8),
    Buffer.alloc(4),
    Buffer.alloc(4),
    MATRIX,
    u32(320 << 16, 240 << 16),
  )
  const mdhd = fullBox('mdhd', 0, u32(0, 0, timescale, duration), Buffer.from([0x55, 0xc4, 0, 0]))
  const handler = o.handler ?? 'vide'
  const hdlr = fullBox('hdlr', 0, u32(0), Buffer.from(handler, 'ascii'), Buffer.alloc(12), Buffer.from('track\0', 'ascii'))
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, u32(0)),
    fullBox('stts', 0, u32(0)),
    fullBox('stsc', 0, u32(0)),
    fullBox('stsz', 0, u32(0, 0)),
    fullBox('stco', 0, u32(0)),
  )
  const minf = box('minf', handler === 'vide' ? fullBox('vmhd', 0, Buffer.alloc(8)) : fullBox('smhd', 0, Buffer.alloc(4)), stbl)
  const moov = box('moov', mvhd, box('trak', tkhd, box('mdia', mdhd, hdlr, minf)))
  return Buffer.concat([ftyp, moov, box('mdat')])
}

export interface FilePart {
  name?: string
  filename?: string
  contentType: string
  data: Buffer
}

/** A multipart/form-data body: text fields (repeated when given an array) and file parts. */
export function multipart(
  fields: Record<string, string | string[]>,
  files: FilePart[] = [],
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----bandsy${randomUUID().replace(/-/g, '')}`
  const chunks: Buffer[] = []
  for (const [name, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value])
      chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`))
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="${f.name ?? 'file'}"; filename="${f.filename ?? 'sample'}"\r\ncontent-type: ${f.contentType}\r\n\r\n`,
      ),
      f.data,
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

/** Posts a sample upload as the musician: a WAV of 3 s unless a file is given. */
export async function uploadSample(
  http: { inject: (o: object) => Promise<{ statusCode: number; json(): any; body: string }> },
  user: { token: string },
  fields: Record<string, string | string[]> = { title: 'Take one' },
  file: FilePart | null = { contentType: 'audio/wav', data: wavFile(3), filename: 'take.wav' },
) {
  const { payload, headers } = multipart(fields, file ? [file] : [])
  return http.inject({
    method: 'POST',
    url: '/v1/bandsy/media-samples',
    headers: { ...headers, authorization: `Bearer ${user.token}` },
    payload,
  })
}
