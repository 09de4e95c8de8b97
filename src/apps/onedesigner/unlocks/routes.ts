import type { Http } from '../../../platform/app'
import type { Platform } from '../../../platform/platform'

export async function unlockRoutes(_http: Http, _platform: Platform) {}
