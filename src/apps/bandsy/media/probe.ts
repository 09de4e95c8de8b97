// Reads an uploaded file (spooled to a temporary file) for what the sample stores: its real type,
// its duration and its format. Seed: "Duration is extracted from audio/video files automatically";
// a duration sent by the client is never used.
import fsp from 'node:fs/promises'
import { parseFile } from 'music-metadata'
import { AppError } from '../../../platform'
import { type Container, containerName, MEDIA_TYPES, sniffContainer, SNIFF_BYTES, type MediaKind, type MediaType } from './formats'

export interface MediaFormat {
  container: string | null
  codec: string | null
  bitrate: number | null
  sampleRate: number | null
  channels: number | null
  size: number
  contentType: MediaType
}

export interface ProbedMedia {
  kind: MediaKind
  contentType: MediaType
  ext: string
  /** Whole seconds, rounded; null when the file does not say. */
  duration: number | null
  metadata: MediaFormat
}

export async function probeMedia(file: string, size: number, declared: MediaType): Promise<ProbedMedia> {
  const type = MEDIA_TYPES[declared]
  const container = sniffContainer(await readAt(file, 0, SNIFF_BYTES))
  if (!container)
    throw new AppError('unsupported_media_type', `The file declared as ${declared} is not a recognised audio or video file`, { declared })
  if (!(type.containers as readonly string[]).includes(container))
    throw new AppError('unsupported_media_type', `The file declared as ${declared} is ${containerName(container)}`, {
      declared,
      detected: containerName(container),
    })

  let format: Awaited<ReturnType<typeof parseFile>>['format']
  try {
    // No type hint: given one, music-metadata trusts it and "parses" anything.
    format = (await parseFile(file, { duration: true, skipCovers: true })).format
  } catch (err) {
    throw new AppError('unprocessable', `The ${containerName(container)} file could not be read: ${(err as Error).message}`, { declared })
  }
  let seconds = format.duration
  // music-metadata times MP4 files by their audio track only; a silent clip has the movie header.
  if (container === 'isobmff' && !seconds) seconds = await movieHeaderSeconds(file, size)
  await refuseUndecodable(file, size, container, format, seconds, declared)
  return {
    kind: type.kind,
    contentType: declared,
    ext: type.ext,
    duration: seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds) : null,
    metadata: {
      container: format.container ?? null,
      codec: format.codec ?? null,
      bitrate: format.bitrate !== undefined ? Math.round(format.bitrate) : null,
      sampleRate: format.sampleRate ?? null,
      channels: format.numberOfChannels ?? null,
      size,
      contentType: declared,
    },
  }
}

/** Containers whose headers always state the length: without one (or with 0) there is nothing to play. */
const LENGTH_IN_HEADER = new Set<Container>(['wave', 'flac', 'mpeg', 'isobmff'])

/**
 * A file music-metadata read without error may still hold nothing playable (an 8-byte FLAC
 * header, a WAV cut off after its header): refuse it with 422 naming the problem, rather than
 * store a sample with no duration. WebM and Ogg from recorders often carry no length: for them a
 * described stream (codec, rate or channels) is enough.
 */
async function refuseUndecodable(
  file: string,
  size: number,
  container: Container,
  format: Awaited<ReturnType<typeof parseFile>>['format'],
  seconds: number | undefined,
  declared: MediaType,
) {
  const name = containerName(container)
  const refuse = (problem: string, details: Record<string, unknown> = {}) => {
    throw new AppError('unprocessable', `The ${name} file cannot be decoded: ${problem}`, { declared, detected: name, ...details })
  }
  if (container === 'wave') {
    const data = await riffDataChunk(file, size)
    if (!data) refuse('it has no data chunk')
    else if (data.end > size)
      refuse(`it is truncated (its data chunk declares ${data.end - data.start} bytes, ${Math.max(0, size - data.start)} are present)`, {
        declaredBytes: data.end - data.start,
        presentBytes: Math.max(0, size - data.start),
      })
  }
  const described = format.codec !== undefined || format.sampleRate !== undefined || format.numberOfChannels !== undefined
  const hasLength = seconds !== undefined && Number.isFinite(seconds) && seconds > 0
  if (!described && !hasLength) refuse('no audio or video stream was found in it')
  if (LENGTH_IN_HEADER.has(container) && !hasLength) refuse('it holds no audio or video (no length)')
}

/** The WAV data chunk's byte range as its header declares it (the end may lie past the file). */
async function riffDataChunk(file: string, size: number): Promise<{ start: number; end: number } | undefined> {
  let at = 12
  for (let n = 0; at + 8 <= size && n < 1000; n++) {
    const head = await readAt(file, at, 8)
    const chunk = head.readUInt32LE(4)
    if (head.toString('latin1', 0, 4) === 'data') return { start: at + 8, end: at + 8 + chunk }
    at += 8 + chunk + (chunk % 2) // chunks are padded to an even length
  }
  return undefined
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await fsp.open(file, 'r')
  try {
    const buf = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buf, 0, length, position)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** Length from the ISO BMFF movie header (moov/mvhd), wherever moov sits in the file. */
async function movieHeaderSeconds(file: string, size: number): Promise<number | undefined> {
  const moov = await findBox(file, 0, size, 'moov')
  const mvhd = moov && (await findBox(file, moov.start, moov.end, 'mvhd'))
  if (!mvhd) return undefined
  const body = await readAt(file, mvhd.start, 32)
  const version = body[0]
  if (version === 0 && body.length >= 20) {
    const timescale = body.readUInt32BE(12)
    return timescale ? body.readUInt32BE(16) / timescale : undefined
  }
  if (version === 1 && body.length >= 32) {
    const timescale = body.readUInt32BE(20)
    return timescale ? Number(body.readBigUInt64BE(24)) / timescale : undefined
  }
  return undefined
}

/** The first box of the given type among the boxes between start and end: its body's range. */
async function findBox(file: string, start: number, end: number, type: string): Promise<{ start: number; end: number } | undefined> {
  let at = start
  for (let n = 0; at + 8 <= end && n < 10_000; n++) {
    const head = await readAt(file, at, 16)
    if (head.length < 8) return undefined
    let size = head.readUInt32BE(0)
    let headerBytes = 8
    if (size === 1) {
      if (head.length < 16) return undefined
      size = Number(head.readBigUInt64BE(8))
      headerBytes = 16
    } else if (size === 0) size = end - at
    if (size < headerBytes) return undefined
    if (head.toString('latin1', 4, 8) === type) return { start: at + headerBytes, end: Math.min(at + size, end) }
    at += size
  }
  return undefined
}
