// The default provider: no network, no model files, the same output for the same input on every
// machine. Embeddings are feature-hashed word unigrams and bigrams (signed, L2-normalised), so
// texts sharing words and phrases land close together. Text completion turns the facts a prompt
// lists into one sentence.
import type { AiProvider, CompleteRequest, CompleteResult, EmbedResult } from './types'

export const LOCAL_EMBEDDING_MODEL = 'local-hash-v1'
export const LOCAL_TEXT_MODEL = 'local-template-v1'

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu

export function words(text: string): string[] {
  return (text.normalize('NFKC').toLowerCase().match(WORD) ?? []).map((w) => w.replace(/['’]/g, ''))
}

/** Rough token count, close to what BPE tokenisers give for English (about 0.75 words a token). */
export function countTokens(text: string): number {
  const n = words(text).length
  return n === 0 ? 0 : Math.ceil(n / 0.75)
}

// FNV-1a, 32-bit: tiny, stable across platforms and Node versions.
function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function hashEmbedding(text: string, dimensions: number): number[] {
  const v = new Float64Array(dimensions)
  const ws = words(text)
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature)
    // The top bit chooses the sign, so unrelated features cancel out instead of piling up.
    v[h % dimensions] += h & 0x80000000 ? -weight : weight
  }
  for (let i = 0; i < ws.length; i++) {
    add(ws[i], 1)
    if (i + 1 < ws.length) add(`${ws[i]} ${ws[i + 1]}`, 0.5)
  }
  let norm = 0
  for (const x of v) norm += x * x
  norm = Math.sqrt(norm)
  return Array.from(v, (x) => (norm === 0 ? 0 : x / norm))
}

/**
 * A prompt for the local provider is a headline line followed by facts, one per line, each
 * starting with "- ". The answer is the headline followed by the facts as one sentence.
 */
export function templateSentence(prompt: string): string {
  const lines = prompt
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const facts = lines
    .filter((l) => l.startsWith('- '))
    .map((l) =>
      l
        .slice(2)
        .trim()
        .replace(/[.;]+$/, ''),
    )
  const headline = (lines.find((l) => !l.startsWith('- ')) ?? '').replace(/[.:;]+$/, '')
  if (facts.length === 0) return headline ? `${headline}.` : ''
  const list = facts.length === 1 ? facts[0] : `${facts.slice(0, -1).join('; ')}; and ${facts[facts.length - 1]}`
  const sentence = headline ? `${headline}: ${list}.` : `${list}.`
  return sentence.charAt(0).toUpperCase() + sentence.slice(1)
}

export function localProvider(o: { dimensions: number }): AiProvider {
  return {
    name: 'local',
    embeddingModel: `${LOCAL_EMBEDDING_MODEL}-${o.dimensions}`,
    textModel: LOCAL_TEXT_MODEL,
    dimensions: o.dimensions,
    async embed(texts: string[]): Promise<EmbedResult> {
      return {
        vectors: texts.map((t) => hashEmbedding(t, o.dimensions)),
        tokens: texts.reduce((n, t) => n + countTokens(t), 0),
      }
    },
    async complete(req: CompleteRequest): Promise<CompleteResult> {
      let text = templateSentence(req.prompt)
      if (req.maxTokens && countTokens(text) > req.maxTokens) {
        const kept = text.split(/\s+/).slice(0, Math.max(1, Math.floor(req.maxTokens * 0.75)))
        text = `${kept.join(' ').replace(/[,;:]$/, '')}…`
      }
      return { text, tokens: countTokens(req.system) + countTokens(req.prompt) + countTokens(text) }
    },
  }
}
