import type { Platform } from '../../../platform/platform'

/** Computes and stores a designer's embedding now (owner role); clears needs_update. */
export async function refreshDesignerEmbedding(_platform: Platform, _designerId: string): Promise<void> {
  throw new Error('refreshDesignerEmbedding: being written')
}
