// Audio and image messages: multipart uploads checked by declared type, by content and by size,
// stored in platform storage, and served back to participants only.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aMatch, aMusician, bearer, BANDSY, type Musician } from '../../../../test/support/bandsy'
import { formData, MP3, OGG, PNG, setMatchStatus, type FilePart } from '../../../../test/support/bandsy-conversations'
import { fileKey } from './service'

const MB = 1024 * 1024

describe('Bandsy message files', () => {
  let env: TestEnv
  let dir: string
  let a: Musician
  let b: Musician
  let conversationId: string
  let matchId: string

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bandsy-files-'))
    env = await createTestEnv({ config: { STORAGE_DIR: dir } })
    a = await aMusician(env.platform)
    b = await aMusician(env.platform)
    ;({ conversationId, matchId } = await aMatch(env.platform, a, b))
  })
  afterAll(async () => {
    await env.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const upload = async (m: Musician, fields: Record<string, string>, files: FilePart[] = [], conv = conversationId) => {
    const { payload, headers } = await formData(fields, files)
    return env.http.inject({
      method: 'POST',
      url: `${BANDSY}/conversations/${conv}/messages`,
      headers: { ...bearer(m), ...headers },
      payload,
    })
  }
  const fetchFile = (m: Musician, url: string) => env.http.inject({ method: 'GET', url, headers: bearer(m) })

  it('stores an image and serves it to the participants only', async () => {
    const bytes = PNG(2048)
    const res = await upload(a, { type: 'image', content: 'our new logo' }, [{ bytes, type: 'image/png', name: 'logo.png' }])
    expect(res.statusCode).toBe(201)
    const { message } = res.json()
    expect(message).toMatchObject({
      type: 'image',
      content: 'our new logo',
      fileUrl: `${BANDSY}/conversations/${conversationId}/files/${message.id}`,
      metadata: { contentType: 'image/png', size: 2048, fileName: 'logo.png' },
    })
    const got = await fetchFile(b, message.fileUrl)
    expect(got.statusCode).toBe(200)
    expect(got.headers['content-type']).toBe('image/png')
    expect(got.rawPayload.equals(bytes)).toBe(true)
    expect((await fetchFile(await aMusician(env.platform), message.fileUrl)).statusCode).toBe(404)
    expect(await env.platform.storage.exists(fileKey(conversationId, message.id))).toBe(true)
  })

  it('takes audio up to 25 MB and images up to 10 MB (413 above)', async () => {
    expect((await upload(a, { type: 'audio' }, [{ bytes: OGG(12 * MB), type: 'audio/ogg' }])).statusCode).toBe(201)
    const bigImage = await upload(a, { type: 'image' }, [{ bytes: PNG(10 * MB + 1), type: 'image/png' }])
    expect(bigImage.statusCode).toBe(413)
    expect(bigImage.json().error.message).toMatch(/10 MB/)
    const bigAudio = await upload(a, { type: 'audio' }, [{ bytes: MP3(25 * MB + 1), type: 'audio/mpeg' }])
    expect(bigAudio.statusCode).toBe(413)
  })

  it('refuses types we do not take, and files whose bytes are not what they claim (415)', async () => {
    const html = Buffer.from('<html><script>alert(1)</script></html>')
    const cases: [string, Record<string, string>, FilePart][] = [
      ['html', { type: 'image' }, { bytes: html, type: 'text/html' }],
      ['svg', { type: 'image' }, { bytes: html, type: 'image/svg+xml' }],
      ['html named png', { type: 'image' }, { bytes: html, type: 'image/png' }],
      ['png sent as audio', { type: 'audio' }, { bytes: PNG(), type: 'image/png' }],
      ['mp3 declared as ogg', { type: 'audio' }, { bytes: MP3(), type: 'audio/ogg' }],
    ]
    for (const [what, fields, file] of cases) {
      const res = await upload(a, fields, [file])
      expect(res.statusCode, what).toBe(415)
      expect(res.json().error.code, what).toBe('unsupported_media_type')
    }
  })

  it('needs exactly one file for media and none for text; text still works as JSON', async () => {
    const cases: [string, Record<string, string>, FilePart[], RegExp][] = [
      ['image without file', { type: 'image' }, [], /file/],
      [
        'two files',
        { type: 'image' },
        [
          { bytes: PNG(), type: 'image/png' },
          { bytes: PNG(), type: 'image/png' },
        ],
        /one file/,
      ],
      ['text with file', { type: 'text', content: 'hi' }, [{ bytes: PNG(), type: 'image/png' }], /file/],
      ['unknown field', { type: 'text', content: 'hi', fileUrl: '/etc/passwd' }, [], /fileUrl/],
      ['blank text', { type: 'text', content: ' ' }, [], /body\.content/],
      ['file under another name', { type: 'image' }, [{ bytes: PNG(), type: 'image/png', field: 'photo' }], /file/],
    ]
    for (const [what, fields, files, message] of cases) {
      const res = await upload(a, fields, files)
      expect(res.statusCode, what).toBe(400)
      expect(res.json().error.message, what).toMatch(message)
    }
    const text = await upload(a, { type: 'text', content: 'multipart text is fine too' })
    expect(text.statusCode).toBe(201)
    const json = await env.http.inject({
      method: 'POST',
      url: `${BANDSY}/conversations/${conversationId}/messages`,
      headers: bearer(b),
      payload: { type: 'text', content: 'and JSON' },
    })
    expect(json.statusCode).toBe(201)
  })

  it('stores nothing when the match has ended', async () => {
    const [x, y] = [await aMusician(env.platform), await aMusician(env.platform)]
    const ended = await aMatch(env.platform, x, y)
    await setMatchStatus(env.platform, ended.matchId, 'unmatched')
    const before = fs.readdirSync(dir, { recursive: true }).length
    const res = await upload(x, { type: 'image' }, [{ bytes: PNG(), type: 'image/png' }], ended.conversationId)
    expect(res.statusCode).toBe(403)
    expect(fs.readdirSync(dir, { recursive: true }).length).toBe(before)
    expect(matchId).toBeDefined()
  })
})
