// Media a message may carry, checked twice: the type the client declares, and the file's first
// bytes. A declared type alone is the client's word; a file that is really HTML or a script must
// not be stored and served back as an image.
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const
export const AUDIO_TYPES = ['audio/mpeg', 'audio/mp4', 'audio/aac', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/flac'] as const
export type MediaType = (typeof IMAGE_TYPES)[number] | (typeof AUDIO_TYPES)[number]

const ascii = (b: Buffer, at: number, text: string) => b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text
const bytes = (b: Buffer, at: number, seq: number[]) => b.length >= at + seq.length && seq.every((x, i) => b[at + i] === x)
const id3 = (b: Buffer) => ascii(b, 0, 'ID3')
/** An MPEG audio frame header: 11 sync bits and a layer other than the reserved 00 (ADTS). */
const mpegFrame = (b: Buffer) => b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0
const adts = (b: Buffer) => b.length >= 2 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0

const SIGNATURES: Record<MediaType, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => bytes(b, 0, [0xff, 0xd8, 0xff]),
  'image/png': (b) => bytes(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/gif': (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'),
  'image/webp': (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'),
  'audio/mpeg': (b) => id3(b) || mpegFrame(b),
  'audio/aac': (b) => id3(b) || adts(b) || ascii(b, 0, 'ADIF'),
  'audio/mp4': (b) => ascii(b, 4, 'ftyp'),
  'audio/ogg': (b) => ascii(b, 0, 'OggS'),
  'audio/wav': (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE'),
  'audio/webm': (b) => bytes(b, 0, [0x1a, 0x45, 0xdf, 0xa3]),
  'audio/flac': (b) => ascii(b, 0, 'fLaC'),
}

/** The declared type without parameters, lower-cased, when it is one we take; else undefined. */
export function acceptedMediaType(declared: string | undefined): MediaType | undefined {
  const base = (declared ?? '').split(';')[0].trim().toLowerCase()
  return base in SIGNATURES ? (base as MediaType) : undefined
}

export const mediaKind = (t: MediaType): 'image' | 'audio' => (t.startsWith('image/') ? 'image' : 'audio')

/** Whether the file's first bytes are what its declared type says. */
export function bytesMatch(type: MediaType, head: Buffer): boolean {
  return SIGNATURES[type](head)
}
