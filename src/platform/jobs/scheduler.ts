import type { Platform } from '../platform'
import type { JobDefinition } from './types'
export async function startScheduler(_p: Platform, _jobs: JobDefinition[]) {
  return { stop: async () => {} }
}
export async function runJob(platform: Platform, def: JobDefinition, at?: Date) {
  return def.run({ platform, now: at ?? platform.clock.now() })
}
