import type { Http } from '../../../platform/app'
import type { Platform } from '../../../platform/platform'

export async function briefRoutes(_http: Http, _platform: Platform) {}
