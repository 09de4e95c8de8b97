// Embedding and text generation behind one interface: `local` (deterministic, offline) or
// `openai` (any OpenAI-compatible endpoint).
export interface EmbedResult {
  vectors: number[][]
  tokens: number
}

export interface CompleteRequest {
  system: string
  prompt: string
  maxTokens?: number
}

export interface CompleteResult {
  text: string
  tokens: number
}

export interface AiProvider {
  /** 'local' or 'openai'; stored with every result it produced. */
  readonly name: string
  readonly embeddingModel: string
  readonly textModel: string
  readonly dimensions: number
  embed(texts: string[]): Promise<EmbedResult>
  complete(req: CompleteRequest): Promise<CompleteResult>
}
