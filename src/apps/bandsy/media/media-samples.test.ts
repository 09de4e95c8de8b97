// Media samples over HTTP: what is stored from an upload, what is refused, who sees what, and
// that a deleted sample takes its file with it.
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMusician, bearer, BANDSY, genreId, instrumentId, type Musician } from '../../../../test/support/bandsy'
import { mp3File, mp4File, multipart, uploadSample, wavFile } from '../../../../test/support/bandsy-media'
import { diskStorage } from '../../../platform'
import { MEDIA_LIMITS } from './formats'

let env: TestEnv
let root: string
let alice: Musician
let bob: Musician

const get = (m: Musician, url: string, headers: Record<string, string> = {}) =>
  env.http.inject({ method: 'GET', url: `${BANDSY}${url}`, headers: { ...bearer(m), ...headers } })
/** Files under the storage folder for a musician's samples. */
const storedFiles = async (m: Musician) => fsp.readdir(path.join(root, 'bandsy/samples', m.id)).catch(() => [] as string[])

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'bandsy-media-'))
  env = await createTestEnv({ overrides: { storage: diskStorage({ root }) } })
  alice = await aMusician(env.platform)
  bob = await aMusician(env.platform)
})
afterAll(async () => {
  await env?.close()
  await fsp.rm(root, { recursive: true, force: true })
})

describe('uploading a sample', () => {
  it('reads the duration and format from a WAV file and stores the file under the sample', async () => {
    const res = await uploadSample(env.http, alice, { title: 'Riff in E', description: 'Warm-up' })
    expect(res.statusCode, res.body).toBe(201)
    const s = res.json()
    expect(s).toMatchObject({
      userId: alice.id,
      title: 'Riff in E',
      description: 'Warm-up',
      fileType: 'audio',
      duration: 3,
      isPublic: true,
      genres: [],
    })
    expect(s.metadata).toEqual({
      container: 'WAVE',
      codec: 'PCM',
      bitrate: 128000,
      sampleRate: 8000,
      channels: 1,
      size: wavFile(3).length,
      contentType: 'audio/wav',
    })
    expect(s.fileUrl).toBe(`${BANDSY}/media-samples/${s.id}/file`)
    expect(await env.platform.storage.exists(`bandsy/samples/${alice.id}/${s.id}.wav`)).toBe(true)
  })

  it('reads the duration of an MP3 and of an MP4 video (from its movie header)', async () => {
    const mp3 = await uploadSample(env.http, alice, { title: 'mp3' }, { contentType: 'audio/mpeg', data: mp3File(4) })
    expect(mp3.statusCode, mp3.body).toBe(201)
    expect(mp3.json()).toMatchObject({
      fileType: 'audio',
      duration: 4,
      metadata: { container: 'MPEG', sampleRate: 44100, contentType: 'audio/mpeg' },
    })
    const mp4 = await uploadSample(env.http, alice, { title: 'clip' }, { contentType: 'video/mp4', data: mp4File(5) })
    expect(mp4.statusCode, mp4.body).toBe(201)
    expect(mp4.json()).toMatchObject({ fileType: 'video', duration: 5, metadata: { contentType: 'video/mp4' } })
    expect(await env.platform.storage.exists(`bandsy/samples/${alice.id}/${mp4.json().id}.mp4`)).toBe(true)
  })

  it('never takes a duration from the client: a duration field is refused', async () => {
    const res = await uploadSample(env.http, alice, { title: 'x', duration: '999' })
    expect(res.statusCode).toBe(400)
    expect(res.json().error.message).toMatch(/body\.duration/)
  })

  it('refuses a declared type that is not audio or video with 415 naming it, before storing anything', async () => {
    const before = await storedFiles(bob)
    const res = await uploadSample(
      env.http,
      bob,
      { title: 'x' },
      { contentType: 'image/png', data: Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1') },
    )
    expect(res.statusCode).toBe(415)
    expect(res.json().error).toMatchObject({ code: 'unsupported_media_type', message: expect.stringMatching(/image\/png/) })
    expect(await storedFiles(bob)).toEqual(before)
  })

  it('sniffs the bytes: a text file or an MP3 declared as audio/wav is refused with 415', async () => {
    const text = await uploadSample(
      env.http,
      bob,
      { title: 'x' },
      { contentType: 'audio/wav', data: Buffer.from('hello, this is not audio at all') },
    )
    expect(text.statusCode).toBe(415)
    expect(text.json().error.message).toMatch(/audio\/wav is not a recognised audio or video file/)
    const lie = await uploadSample(env.http, bob, { title: 'x' }, { contentType: 'audio/wav', data: mp3File(1) })
    expect(lie.statusCode).toBe(415)
    expect(lie.json().error.message).toMatch(/declared as audio\/wav is MPEG audio/)
    const videoAsAudio = await uploadSample(env.http, bob, { title: 'x' }, { contentType: 'video/webm', data: wavFile(1) })
    expect(videoAsAudio.statusCode).toBe(415)
    expect(await storedFiles(bob)).toEqual([])
  })

  it('refuses files that cannot be decoded with 422 naming the problem, storing nothing (issue 10, item 16)', async () => {
    const m = await aMusician(env.platform)
    // An 8-byte FLAC header: the magic and nothing playable after it.
    const flac = await uploadSample(env.http, m, { title: 'x' }, { contentType: 'audio/flac', data: Buffer.from('fLaC\0\0\0\0', 'latin1') })
    expect(flac.statusCode, flac.body).toBe(422)
    expect(flac.json().error).toMatchObject({ code: 'unprocessable', details: { detected: 'FLAC' } })
    expect(flac.json().error.message).toMatch(/FLAC file cannot be decoded: no audio or video stream/)
    // A WAV cut off after its header and 100 bytes of its 48,000-byte data chunk.
    const cut = wavFile(3).subarray(0, 44 + 100)
    const wav = await uploadSample(env.http, m, { title: 'x' }, { contentType: 'audio/wav', data: cut })
    expect(wav.statusCode, wav.body).toBe(422)
    expect(wav.json().error.message).toMatch(
      /WAV file cannot be decoded: it is truncated \(its data chunk declares 48000 bytes, 100 are present\)/,
    )
    const headerOnly = await uploadSample(env.http, m, { title: 'x' }, { contentType: 'audio/wav', data: wavFile(3).subarray(0, 44) })
    expect(headerOnly.statusCode).toBe(422)
    expect(await storedFiles(m)).toEqual([])
    // Valid files of each kind still work.
    for (const [contentType, data] of [
      ['audio/wav', wavFile(1)],
      ['audio/mpeg', mp3File(1)],
      ['video/mp4', mp4File(1)],
    ] as const)
      expect((await uploadSample(env.http, m, { title: contentType }, { contentType, data })).statusCode).toBe(201)
  })

  it(`refuses audio over ${MEDIA_LIMITS.audioBytes / 1024 / 1024} MB with 413`, async () => {
    const big = Buffer.concat([wavFile(0), Buffer.alloc(MEDIA_LIMITS.audioBytes - 43)])
    const res = await uploadSample(env.http, bob, { title: 'too long' }, { contentType: 'audio/wav', data: big })
    expect(res.statusCode).toBe(413)
    expect(res.json().error).toMatchObject({
      code: 'payload_too_large',
      message: expect.stringMatching(/file: audio files may be at most 50 MB/),
    })
    expect(await storedFiles(bob)).toEqual([])
  })

  it('names the missing or broken field with 400', async () => {
    const noTitle = await uploadSample(env.http, bob, {})
    expect(noTitle.statusCode).toBe(400)
    expect(noTitle.json().error.message).toMatch(/^body\.title/)
    const blank = await uploadSample(env.http, bob, { title: '   ' })
    expect(blank.statusCode).toBe(400)
    const noFile = await uploadSample(env.http, bob, { title: 'x' }, null)
    expect(noFile.statusCode).toBe(400)
    expect(noFile.json().error.message).toMatch(/^body\.file: a file part is required/)
    const badGenre = await uploadSample(env.http, bob, { title: 'x', genreIds: 'not-a-uuid' })
    expect(badGenre.statusCode).toBe(400)
    expect(badGenre.json().error.message).toMatch(/body\.genreIds/)
    const badPublic = await uploadSample(env.http, bob, { title: 'x', isPublic: 'yes' })
    expect(badPublic.statusCode).toBe(400)
    expect(badPublic.json().error.message).toMatch(/body\.isPublic/)
    const twoFiles = multipart({ title: 'x' }, [
      { contentType: 'audio/wav', data: wavFile(1) },
      { contentType: 'audio/wav', data: wavFile(1) },
    ])
    const two = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/media-samples`,
      headers: { ...twoFiles.headers, ...bearer(bob) },
      payload: twoFiles.payload,
    })
    expect(two.statusCode).toBe(400)
    expect(two.json().error.message).toMatch(/exactly one file/)
  })

  it('answers 4xx JSON to bodies that are not a well-formed form', async () => {
    const cases: Array<{ headers: Record<string, string>; payload: string | Buffer }> = [
      { headers: { 'content-type': 'application/json' }, payload: '{"title":"x"}' },
      { headers: { 'content-type': 'multipart/form-data' }, payload: 'no boundary' },
      {
        headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
        payload: '--xyz\r\ncontent-disposition: form-data; name="title"\r\n\r\nunterminated',
      },
      { headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, payload: 'garbage \u0000 bytes' },
      { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
      { headers: { 'content-type': 'application/octet-stream' }, payload: wavFile(1) },
    ]
    for (const c of cases) {
      const res = await env.http.inject({
        method: 'POST',
        url: `${BANDSY}/media-samples`,
        headers: { ...c.headers, ...bearer(bob) },
        payload: c.payload,
      })
      expect(res.statusCode, `${c.headers['content-type']}: ${res.body}`).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, `${c.headers['content-type']}: ${res.body}`).toBeLessThan(500)
      expect(res.json().error.code).toEqual(expect.any(String))
    }
  })

  it('an insert that fails after the file was stored removes the file (unknown genre: 404)', async () => {
    const res = await uploadSample(env.http, bob, { title: 'x', genreIds: '00000000-0000-4000-8000-000000000000' })
    expect(res.statusCode).toBe(404)
    expect(res.json().error.message).toMatch(/Genre not found/)
    expect(await storedFiles(bob)).toEqual([])
  })
})

describe('reading samples and their files', () => {
  let open: { id: string }
  let secret: { id: string }
  beforeAll(async () => {
    open = (await uploadSample(env.http, alice, { title: 'Open', isPublic: 'true' })).json()
    secret = (await uploadSample(env.http, alice, { title: 'Secret', isPublic: 'false' })).json()
  })

  it('streams the file with its type and length, and a byte range with 206', async () => {
    const whole = await get(bob, `/media-samples/${open.id}/file`)
    expect(whole.statusCode).toBe(200)
    expect(whole.headers['content-type']).toBe('audio/wav')
    expect(Number(whole.headers['content-length'])).toBe(wavFile(3).length)
    expect(whole.rawPayload.equals(wavFile(3))).toBe(true)
    const part = await get(bob, `/media-samples/${open.id}/file`, { range: 'bytes=0-11' })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 0-11/${wavFile(3).length}`)
    expect(part.rawPayload.toString('latin1')).toBe('RIFF' + wavFile(3).subarray(4, 12).toString('latin1'))
    const ignored = await get(bob, `/media-samples/${open.id}/file`, { range: 'bytes=999999999-' })
    expect(ignored.statusCode).toBe(200)
  })

  it('a private sample is visible to its owner only, file included', async () => {
    expect((await get(alice, `/media-samples/${secret.id}`)).statusCode).toBe(200)
    expect((await get(alice, `/media-samples/${secret.id}/file`)).statusCode).toBe(200)
    expect((await get(bob, `/media-samples/${secret.id}`)).statusCode).toBe(404)
    expect((await get(bob, `/media-samples/${secret.id}/file`)).statusCode).toBe(404)
    const seenByBob = (await get(bob, `/media-samples?userId=${alice.id}&limit=100`)).json().samples.map((s: { id: string }) => s.id)
    expect(seenByBob).toContain(open.id)
    expect(seenByBob).not.toContain(secret.id)
    const seenByAlice = (await get(alice, '/media-samples?limit=100')).json().samples.map((s: { id: string }) => s.id)
    expect(seenByAlice).toEqual(expect.arrayContaining([open.id, secret.id]))
  })

  it('samples of a deleted musician are hidden', async () => {
    const carol = await aMusician(env.platform)
    const s = (await uploadSample(env.http, carol, { title: 'Soon gone' })).json()
    expect((await get(bob, `/media-samples/${s.id}`)).statusCode).toBe(200)
    await env.platform.db.kysely.updateTable('bandsy.users').set({ deletedAt: env.clock.now() }).where('id', '=', carol.id).execute()
    expect((await get(bob, `/media-samples/${s.id}`)).statusCode).toBe(404)
    expect((await get(bob, `/media-samples/${s.id}/file`)).statusCode).toBe(404)
    expect((await get(bob, `/media-samples?userId=${carol.id}`)).json().samples).toEqual([])
  })

  it('pages newest first with a cursor', async () => {
    const dave = await aMusician(env.platform)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      env.clock.advance(1000)
      ids.push((await uploadSample(env.http, dave, { title: `t${i}` })).json().id)
    }
    const first = (await get(dave, '/media-samples?limit=2')).json()
    expect(first.samples.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]])
    const second = (await get(dave, `/media-samples?limit=2&cursor=${first.nextCursor}`)).json()
    expect(second).toEqual({ samples: [expect.objectContaining({ id: ids[0] })], nextCursor: null })
  })
})

describe('genre tags and instruments', () => {
  it('tags a sample with genres (repeated field or comma list), filters by genre and instrument, and replaces tags', async () => {
    const [rock, jazz, blues] = await Promise.all(['Rock', 'Jazz', 'Blues'].map((g) => genreId(env.platform, g)))
    const guitar = await instrumentId(env.platform, 'Electric Guitar')
    const eve = await aMusician(env.platform)
    const a = (await uploadSample(env.http, eve, { title: 'a', genreIds: [rock!, `${jazz},${rock}`], instrumentId: guitar })).json()
    const b = (await uploadSample(env.http, eve, { title: 'b', genreIds: blues! })).json()
    expect(a.genres.map((g: { name: string }) => g.name)).toEqual(['Jazz', 'Rock'])
    expect(a.instrumentId).toBe(guitar)
    const byJazz = (await get(bob, `/media-samples?userId=${eve.id}&genreId=${jazz}`)).json().samples
    expect(byJazz.map((s: { id: string }) => s.id)).toEqual([a.id])
    const byGuitar = (await get(bob, `/media-samples?userId=${eve.id}&instrumentId=${guitar}`)).json().samples
    expect(byGuitar.map((s: { id: string }) => s.id)).toEqual([a.id])
    const patched = await env.http.inject({
      method: 'PATCH',
      url: `${BANDSY}/media-samples/${b.id}`,
      headers: bearer(eve),
      payload: { genreIds: [jazz], title: 'b2', isPublic: false },
    })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({ title: 'b2', isPublic: false, genres: [{ id: jazz, name: 'Jazz' }] })
  })
})

describe('changing and deleting', () => {
  it('only the owner may change or delete a sample: 403 when others can see it, 404 when they cannot', async () => {
    const open = (await uploadSample(env.http, alice, { title: 'mine' })).json()
    const secret = (await uploadSample(env.http, alice, { title: 'mine too', isPublic: 'false' })).json()
    const patch = (id: string) =>
      env.http.inject({ method: 'PATCH', url: `${BANDSY}/media-samples/${id}`, headers: bearer(bob), payload: { title: 'stolen' } })
    const del = (m: Musician, id: string) => env.http.inject({ method: 'DELETE', url: `${BANDSY}/media-samples/${id}`, headers: bearer(m) })
    expect((await patch(open.id)).statusCode).toBe(403)
    expect((await patch(secret.id)).statusCode).toBe(404)
    expect((await del(bob, open.id)).statusCode).toBe(403)
    expect((await del(bob, secret.id)).statusCode).toBe(404)
    expect((await get(alice, `/media-samples/${open.id}`)).json().title).toBe('mine')
  })

  it('deleting a sample deletes its stored file', async () => {
    const s = (await uploadSample(env.http, alice, { title: 'to delete' })).json()
    const key = `bandsy/samples/${alice.id}/${s.id}.wav`
    expect(await env.platform.storage.exists(key)).toBe(true)
    const res = await env.http.inject({ method: 'DELETE', url: `${BANDSY}/media-samples/${s.id}`, headers: bearer(alice) })
    expect(res.statusCode).toBe(204)
    expect(await env.platform.storage.exists(key)).toBe(false)
    expect((await get(alice, `/media-samples/${s.id}`)).statusCode).toBe(404)
    expect((await get(alice, `/media-samples/${s.id}/file`)).statusCode).toBe(404)
  })
})
