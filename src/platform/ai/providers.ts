// Builds the configured AI provider: the local deterministic one (default, offline) or any
// OpenAI-compatible endpoint.
import type { Config } from '../config'
import type { AiProvider } from './types'
import { localProvider } from './local'
import { openAiProvider } from './openai'

export function createAiProvider(config: Config): AiProvider {
  if (config.aiProvider === 'openai') {
    if (!config.AI_BASE_URL) throw new Error('AI_PROVIDER=openai needs AI_BASE_URL (an OpenAI-compatible endpoint)')
    return openAiProvider({
      baseUrl: config.AI_BASE_URL,
      apiKey: config.AI_API_KEY,
      embeddingModel: config.AI_EMBEDDING_MODEL,
      textModel: config.AI_TEXT_MODEL,
      dimensions: config.AI_EMBEDDING_DIMENSIONS,
      timeoutMs: config.AI_TIMEOUT_MS,
    })
  }
  return localProvider({ dimensions: config.AI_EMBEDDING_DIMENSIONS })
}

export { localProvider, openAiProvider }
