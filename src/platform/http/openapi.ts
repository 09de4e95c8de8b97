// The OpenAPI document, generated from the route schemas; checked in as docs/openapi.json.
import type { Platform } from '../platform'
import type { AppModule } from '../app'
import { buildHttp } from './server'

export const OPENAPI_PATH = 'docs/openapi.json'

export async function openApiDocument(platform: Platform, apps: AppModule[]): Promise<string> {
  const http = await buildHttp(platform, apps, { docs: false, revocations: false })
  await http.ready()
  const doc = JSON.stringify(http.swagger(), null, 2) + '\n'
  await http.close()
  return doc
}
