import type { Platform } from '../../platform/platform'
import type { SeedOptions } from '../../platform/app'

export async function seed(_platform: Platform, _opts?: SeedOptions): Promise<string[]> {
  return []
}
export async function isSeeded(_platform: Platform): Promise<boolean> {
  return true
}
