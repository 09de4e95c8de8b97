// The apps this server can run. Each is a manifest (see src/platform/app.ts).
import type { AppModule } from '../platform/app'
import { onedesigner } from './onedesigner'
import { bandsy } from './bandsy'

export const ALL_APPS: AppModule[] = [onedesigner, bandsy]
