// Production build: the TypeScript compiler emits src/ to dist/ as ESM, one file per module, and
// copies the SQL migrations beside the modules that find them through import.meta.url.
// The sources import relative modules without extensions (moduleResolution "Bundler"), which Node's
// ESM loader does not resolve, so an emit transformer writes each relative specifier as the file
// the compiler resolved: './config' -> './config.js', './db' -> './db/index.js'.
// Plain JavaScript so that it runs with node alone; typescript is its only requirement.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
let ts
try {
  ts = (await import('typescript')).default
} catch {
  console.error('npm run build needs the dev dependencies (typescript): run `npm ci`, build, then `npm prune --omit=dev`.')
  process.exit(1)
}

const configPath = path.join(root, 'tsconfig.build.json')
const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: report })
const outDir = parsed.options.outDir
const srcDir = parsed.options.rootDir
fs.rmSync(outDir, { recursive: true, force: true })

const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences })

function withJsExtension(specifier, fromFile) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return specifier
  const resolved = ts.resolveModuleName(specifier, fromFile, parsed.options, ts.sys).resolvedModule
  if (!resolved || resolved.isExternalLibraryImport) throw new Error(`${fromFile}: cannot resolve '${specifier}'`)
  if (resolved.extension === '.json') return specifier
  let rel = path.relative(path.dirname(fromFile), resolved.resolvedFileName).replace(/\.(d\.)?[cm]?tsx?$/, '.js')
  rel = rel.split(path.sep).join('/')
  return rel.startsWith('.') ? rel : `./${rel}`
}

const rewriteSpecifiers = (context) => (sourceFile) => {
  const f = context.factory
  const fix = (lit) => f.createStringLiteral(withJsExtension(lit.text, sourceFile.fileName))
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier))
      return f.updateImportDeclaration(node, node.modifiers, node.importClause, fix(node.moduleSpecifier), node.attributes)
    if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      return f.updateExportDeclaration(node, node.modifiers, node.isTypeOnly, node.exportClause, fix(node.moduleSpecifier), node.attributes)
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length && ts.isStringLiteral(node.arguments[0]))
      return f.updateCallExpression(node, node.expression, node.typeArguments, [fix(node.arguments[0]), ...node.arguments.slice(1)])
    return ts.visitEachChild(node, visit, context)
  }
  return ts.visitNode(sourceFile, visit)
}

const diagnostics = [...ts.getPreEmitDiagnostics(program)]
if (diagnostics.length === 0) diagnostics.push(...program.emit(undefined, undefined, undefined, false, { after: [rewriteSpecifiers] }).diagnostics)
if (diagnostics.length) {
  report(...diagnostics)
  fs.rmSync(outDir, { recursive: true, force: true })
  process.exit(1)
}

// Migrations are read from the folder beside the module that names them (new URL('./migrations', import.meta.url)).
let copied = 0
for (const entry of fs.readdirSync(srcDir, { recursive: true })) {
  if (!String(entry).endsWith('.sql')) continue
  const to = path.join(outDir, entry)
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.copyFileSync(path.join(srcDir, entry), to)
  copied++
}
// bin/matchbase runs dist/ only while it is newer than every source file.
fs.writeFileSync(path.join(outDir, '.build-stamp'), `${new Date().toISOString()}\n`)
console.log(`built ${program.getRootFileNames().length} modules and ${copied} migrations into ${path.relative(root, outDir)}/`)

function report(...list) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }
  console.error(ts.formatDiagnosticsWithColorAndContext(list, host))
}
