import type { Platform } from '../platform'
import type { Http } from '../app'
export function registerIdempotency(_http: Http, _platform: Platform) {}
