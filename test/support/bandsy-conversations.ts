// Helpers for Bandsy conversation tests: ending matches and groups behind the API's back (owner
// role), and multipart bodies as a browser's FormData would send them.
import type { Platform } from '../../src/platform/platform'
import type { Claims } from '../../src/platform/db/with-user'
import type { Musician } from './bandsy'

export const claimsOf = (m: Musician): Claims => ({ sub: m.id, role: 'musician', app: 'bandsy' })

export async function setMatchStatus(p: Platform, matchId: string, status: 'active' | 'unmatched' | 'blocked') {
  await p.db.kysely.updateTable('bandsy.matches').set({ status }).where('id', '=', matchId).execute()
}

export async function removeFromGroup(p: Platform, groupId: string, m: Musician) {
  await p.db.kysely.deleteFrom('bandsy.groupMembers').where('groupId', '=', groupId).where('userId', '=', m.id).execute()
}

export async function deactivateGroup(p: Platform, groupId: string) {
  await p.db.kysely.updateTable('bandsy.groups').set({ isActive: false }).where('id', '=', groupId).execute()
}

export interface FilePart {
  bytes: Buffer
  type: string
  name?: string
  field?: string
}

/** A multipart/form-data payload and its content-type header. */
export async function formData(fields: Record<string, string>, files: FilePart[] = []) {
  const fd = new FormData()
  for (const [k, v] of Object.entries(fields)) fd.append(k, v)
  for (const f of files) fd.append(f.field ?? 'file', new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.name ?? 'upload.bin')
  const res = new Response(fd)
  return { payload: Buffer.from(await res.arrayBuffer()), headers: { 'content-type': res.headers.get('content-type')! } }
}

/** Files whose first bytes are what they claim, padded to size. */
export const PNG = (size = 64) => pad(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), size)
export const MP3 = (size = 64) => pad(Buffer.from('ID3\u0004\u0000\u0000', 'latin1'), size)
export const OGG = (size = 64) => pad(Buffer.from('OggS', 'latin1'), size)
const pad = (head: Buffer, size: number) => Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), 0x20)])
