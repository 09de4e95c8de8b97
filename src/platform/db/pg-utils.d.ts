// node-postgres's own value conversion (pg/lib/utils.js), which @types/pg does not describe.
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): string | Buffer | null }
  export default utils
}
