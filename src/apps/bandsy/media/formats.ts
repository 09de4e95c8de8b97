// Which media a sample may be, how big it may be, and how a file's first bytes show what it
// really is. A client's declared content type is a claim; the bytes decide (a text file declared
// as audio/wav is refused, though music-metadata would happily "parse" it with that hint).

/** Upload limits. Audio is a song or a take; video a short performance clip at phone quality. */
export const MEDIA_LIMITS = {
  audioBytes: 50 * 1024 * 1024,
  videoBytes: 200 * 1024 * 1024,
  /** Text fields per upload: title, description, instrumentId, isPublic and up to 10 genreIds. */
  fields: 14,
  /** Bytes per text field: a 5000-character description of 4-byte characters. */
  fieldBytes: 20_000,
  genres: 10,
} as const

/** Container families recognised by magic bytes. */
export type Container = 'mpeg' | 'adts' | 'wave' | 'flac' | 'ogg' | 'isobmff' | 'ebml'

/** Accepted declared types, the containers each may really be, and the file name extension. */
export const MEDIA_TYPES = {
  'audio/mpeg': { kind: 'audio', containers: ['mpeg'], ext: 'mp3' },
  'audio/mp4': { kind: 'audio', containers: ['isobmff'], ext: 'm4a' },
  'audio/aac': { kind: 'audio', containers: ['adts', 'isobmff'], ext: 'aac' },
  'audio/ogg': { kind: 'audio', containers: ['ogg'], ext: 'ogg' },
  'audio/wav': { kind: 'audio', containers: ['wave'], ext: 'wav' },
  'audio/flac': { kind: 'audio', containers: ['flac'], ext: 'flac' },
  'audio/webm': { kind: 'audio', containers: ['ebml'], ext: 'weba' },
  'video/mp4': { kind: 'video', containers: ['isobmff'], ext: 'mp4' },
  'video/webm': { kind: 'video', containers: ['ebml'], ext: 'webm' },
  'video/quicktime': { kind: 'video', containers: ['isobmff'], ext: 'mov' },
} as const satisfies Record<string, { kind: 'audio' | 'video'; containers: readonly Container[]; ext: string }>

export type MediaType = keyof typeof MEDIA_TYPES
export type MediaKind = 'audio' | 'video'

/** Names browsers and recorders send for the same formats. */
const ALIASES: Record<string, MediaType> = {
  'audio/mp3': 'audio/mpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/x-aac': 'audio/aac',
  'audio/wave': 'audio/wav',
  'audio/x-wav': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/x-flac': 'audio/flac',
}

/** The accepted type a declared content type names (parameters such as codecs ignored), if any. */
export function acceptedType(declared: string): MediaType | undefined {
  const base = declared.split(';')[0]!.trim().toLowerCase()
  if (base in MEDIA_TYPES) return base as MediaType
  return ALIASES[base]
}

export const maxBytesFor = (kind: MediaKind) => (kind === 'audio' ? MEDIA_LIMITS.audioBytes : MEDIA_LIMITS.videoBytes)

/** Bytes of the file's start that sniffContainer needs. */
export const SNIFF_BYTES = 16

/** The container the first bytes of a file belong to, or undefined when none we accept. */
export function sniffContainer(head: Buffer): Container | undefined {
  const ascii = (at: number, s: string) => head.length >= at + s.length && head.toString('latin1', at, at + s.length) === s
  if (ascii(0, 'RIFF') && ascii(8, 'WAVE')) return 'wave'
  if (ascii(0, 'fLaC')) return 'flac'
  if (ascii(0, 'OggS')) return 'ogg'
  if (ascii(4, 'ftyp')) return 'isobmff'
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'ebml'
  if (ascii(0, 'ID3')) return 'mpeg'
  if (head.length >= 2 && head[0] === 0xff) {
    // ADTS: sync 12 bits, layer 00. MPEG audio: sync 11 bits, layer not 00.
    const layer = (head[1]! >> 1) & 0b11
    if ((head[1]! & 0xf6) === 0xf0) return 'adts'
    if ((head[1]! & 0xe0) === 0xe0 && layer !== 0) return 'mpeg'
  }
  return undefined
}

const CONTAINER_NAMES: Record<Container, string> = {
  mpeg: 'MPEG audio',
  adts: 'AAC (ADTS)',
  wave: 'WAV',
  flac: 'FLAC',
  ogg: 'Ogg',
  isobmff: 'MP4/QuickTime',
  ebml: 'WebM/Matroska',
}
export const containerName = (c: Container) => CONTAINER_NAMES[c]
