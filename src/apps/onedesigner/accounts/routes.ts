import type { Http } from '../../../platform/app'
import type { Platform } from '../../../platform/platform'

export async function accountRoutes(_http: Http, _platform: Platform) {}
