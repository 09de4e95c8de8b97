import type { Config } from '../config'
import type { AiProvider } from './types'
export function createAiProvider(_config: Config): AiProvider {
  throw new Error('ai providers: being written')
}
