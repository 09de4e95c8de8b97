// Any OpenAI-compatible endpoint (OpenAI, Azure-compatible gateways, vLLM, Ollama, LiteLLM ...):
// POST {base}/embeddings and POST {base}/chat/completions. Every failure, including a timeout or
// an answer of the wrong shape, becomes AppError('upstream_failed') so callers see a 502.
import { AppError } from '../http/errors'
import type { AiProvider, CompleteRequest, CompleteResult, EmbedResult } from './types'

export interface OpenAiOptions {
  baseUrl: string
  apiKey?: string
  embeddingModel: string
  textModel: string
  dimensions: number
  timeoutMs: number
}

interface EmbeddingsResponse {
  data: { index: number; embedding: number[] }[]
  usage?: { total_tokens?: number; prompt_tokens?: number }
}
interface ChatResponse {
  choices: { message: { content: string | null } }[]
  usage?: { total_tokens?: number }
}

export function openAiProvider(o: OpenAiOptions): AiProvider {
  const base = o.baseUrl.replace(/\/+$/, '')

  async function post<T>(path: string, body: unknown): Promise<T> {
    let res: Response
    try {
      res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs),
      })
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError'
      throw new AppError(
        'upstream_failed',
        timedOut ? `The AI endpoint did not answer ${path} within ${o.timeoutMs} ms` : `The AI endpoint could not be reached for ${path}`,
      )
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '')
      let message = text.slice(0, 300)
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message
      } catch {
        // not JSON: keep the text
      }
      throw new AppError('upstream_failed', `The AI endpoint answered ${path} with HTTP ${res.status}`, { status: res.status, message })
    }
    try {
      return (await res.json()) as T
    } catch {
      throw new AppError('upstream_failed', `The AI endpoint answered ${path} with a body that is not JSON`)
    }
  }

  return {
    name: 'openai',
    embeddingModel: o.embeddingModel,
    textModel: o.textModel,
    dimensions: o.dimensions,
    async embed(texts: string[]): Promise<EmbedResult> {
      if (texts.length === 0) return { vectors: [], tokens: 0 }
      const body = await post<EmbeddingsResponse>('/embeddings', {
        model: o.embeddingModel,
        input: texts,
        dimensions: o.dimensions,
        encoding_format: 'float',
      })
      const data = Array.isArray(body?.data) ? [...body.data].sort((a, b) => a.index - b.index) : []
      if (data.length !== texts.length || data.some((d) => !Array.isArray(d.embedding) || d.embedding.length === 0))
        throw new AppError('upstream_failed', `The AI endpoint returned ${data.length} embeddings for ${texts.length} texts`)
      return {
        vectors: data.map((d) => d.embedding),
        tokens: body.usage?.total_tokens ?? body.usage?.prompt_tokens ?? 0,
      }
    },
    async complete(req: CompleteRequest): Promise<CompleteResult> {
      const body = await post<ChatResponse>('/chat/completions', {
        model: o.textModel,
        messages: [
          { role: 'system', content: req.system },
          { role: 'user', content: req.prompt },
        ],
        ...(req.maxTokens ? { max_tokens: req.maxTokens } : {}),
        temperature: 0,
      })
      const text = body?.choices?.[0]?.message?.content
      if (typeof text !== 'string') throw new AppError('upstream_failed', 'The AI endpoint returned no completion text')
      return { text: text.trim(), tokens: body.usage?.total_tokens ?? 0 }
    },
  }
}
