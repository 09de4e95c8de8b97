import { fileURLToPath } from 'node:url'
import { defineApp } from '../../platform/app'
export const onedesigner = defineApp({
  name: 'onedesigner',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  routes() {},
})
