import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testConfig } from '../config'
import { AppError } from '../http/errors'
import { createAiProvider } from './providers'
import { hashEmbedding, templateSentence } from './local'

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0)

describe('local AI provider', () => {
  const ai = createAiProvider(testConfig({ AI_EMBEDDING_DIMENSIONS: '128' }))

  it('is the default and names itself', () => {
    expect(ai.name).toBe('local')
    expect(ai.dimensions).toBe(128)
    expect(ai.embeddingModel).toBe('local-hash-v1-128')
  })

  it('embeds deterministically into unit vectors of the configured size', async () => {
    const a = await ai.embed(['Minimal brand identity for a fintech startup', ''])
    const b = await ai.embed(['Minimal brand identity for a fintech startup'])
    expect(a.vectors[0]).toEqual(b.vectors[0])
    expect(a.vectors[0]).toHaveLength(128)
    expect(dot(a.vectors[0], a.vectors[0])).toBeCloseTo(1, 10)
    expect(a.vectors[1].every((x) => x === 0)).toBe(true)
    expect(a.tokens).toBeGreaterThan(0)
    // Stable across versions: a pinned value guards against accidental changes to the hashing.
    expect(hashEmbedding('logo design', 8).map((x) => Math.round(x * 1000))).toEqual([-333, 0, -667, 0, 0, 0, 0, -667])
  })

  it('puts texts sharing words closer than unrelated texts', async () => {
    const [brief, near, far] = (
      await ai.embed([
        'playful logo for a coffee brand',
        'I design playful logos for coffee and food brands',
        'tax accounting spreadsheets quarterly',
      ])
    ).vectors
    expect(dot(brief, near)).toBeGreaterThan(dot(brief, far))
  })

  it('completes with one deterministic sentence built from the facts in the prompt', async () => {
    const req = {
      system: 'Recommend designers.',
      prompt: 'Dana is a strong fit for "Rebrand"\n- works in Branding & Logo\n- has technology experience\n- favours minimal style',
    }
    const one = await ai.complete(req)
    expect(one).toEqual(await ai.complete(req))
    expect(one.text).toBe(
      'Dana is a strong fit for "Rebrand": works in Branding & Logo; has technology experience; and favours minimal style.',
    )
    expect(one.tokens).toBeGreaterThan(0)
    expect(templateSentence('Only a headline')).toBe('Only a headline.')
  })
})

describe('OpenAI-compatible provider against a local stub server', () => {
  let server: http.Server
  let baseUrl: string
  const seen: { path: string; auth?: string; body: any }[] = []
  let mode: 'ok' | 'error' | 'slow' | 'garbage' = 'ok'

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => (raw += c))
      req.on('end', () => {
        const body = raw ? JSON.parse(raw) : undefined
        seen.push({ path: req.url ?? '', auth: req.headers.authorization, body })
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' })
          res.end(typeof payload === 'string' ? payload : JSON.stringify(payload))
        }
        if (mode === 'slow') return void setTimeout(() => send(200, {}), 1_000)
        if (mode === 'error') return send(429, { error: { message: 'Rate limit reached' } })
        if (mode === 'garbage') return send(200, '{"nope": true}')
        if (req.url === '/v1/embeddings') {
          const inputs = body.input as string[]
          return send(200, {
            object: 'list',
            // Out of order on purpose: the provider must sort by index.
            data: inputs.map((_t, i) => ({ object: 'embedding', index: i, embedding: [i + 1, 0, 0] })).reverse(),
            model: body.model,
            usage: { prompt_tokens: 7, total_tokens: 7 },
          })
        }
        if (req.url === '/v1/chat/completions')
          return send(200, {
            choices: [{ index: 0, message: { role: 'assistant', content: ` echo: ${body.messages[1].content} ` }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          })
        send(404, { error: { message: 'no such route' } })
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const provider = (timeout = '5000') =>
    createAiProvider(
      testConfig({
        AI_BASE_URL: baseUrl,
        AI_API_KEY: 'sk-test',
        AI_EMBEDDING_MODEL: 'emb-x',
        AI_TEXT_MODEL: 'chat-y',
        AI_TIMEOUT_MS: timeout,
        AI_EMBEDDING_DIMENSIONS: '64',
      }),
    )

  it('is chosen when AI_BASE_URL is set and speaks the embeddings protocol', async () => {
    mode = 'ok'
    const ai = provider()
    expect(ai.name).toBe('openai')
    const out = await ai.embed(['a', 'b'])
    expect(out).toEqual({
      vectors: [
        [1, 0, 0],
        [2, 0, 0],
      ],
      tokens: 7,
    })
    const call = seen.at(-1)!
    expect(call.path).toBe('/v1/embeddings')
    expect(call.auth).toBe('Bearer sk-test')
    expect(call.body).toMatchObject({ model: 'emb-x', input: ['a', 'b'], dimensions: 64 })
  })

  it('speaks the chat completions protocol', async () => {
    mode = 'ok'
    const out = await provider().complete({ system: 'sys', prompt: 'hello', maxTokens: 50 })
    expect(out).toEqual({ text: 'echo: hello', tokens: 15 })
    expect(seen.at(-1)!.body).toMatchObject({
      model: 'chat-y',
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hello' },
      ],
    })
  })

  it('turns HTTP errors, bad bodies and timeouts into upstream_failed', async () => {
    mode = 'error'
    const err = await provider()
      .embed(['a'])
      .catch((e) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err.code).toBe('upstream_failed')
    expect(err.status).toBe(502)
    expect(err.details).toMatchObject({ status: 429, message: 'Rate limit reached' })
    mode = 'garbage'
    expect(
      (
        await provider()
          .complete({ system: '', prompt: 'x' })
          .catch((e) => e)
      ).code,
    ).toBe('upstream_failed')
    expect(
      (
        await provider()
          .embed(['x'])
          .catch((e) => e)
      ).code,
    ).toBe('upstream_failed')
    mode = 'slow'
    const slow = await provider('100')
      .embed(['a'])
      .catch((e) => e)
    expect(slow.code).toBe('upstream_failed')
    expect(slow.message).toMatch(/within 100 ms/)
  })

  it('reports an unreachable endpoint as upstream_failed', async () => {
    const ai = createAiProvider(testConfig({ AI_BASE_URL: 'http://127.0.0.1:1/v1' }))
    expect((await ai.embed(['a']).catch((e) => e)).code).toBe('upstream_failed')
  })
})
