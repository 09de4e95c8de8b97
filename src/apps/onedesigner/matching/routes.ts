import type { Http } from '../../../platform/app'
import type { Platform } from '../../../platform/platform'

export async function matchingRoutes(_http: Http, _platform: Platform) {}
