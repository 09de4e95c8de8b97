import type { Platform } from '../platform'
import type { Notifier } from './types'
export function createNotifier(_platform: Platform): Notifier {
  return undefined as unknown as Notifier
}
