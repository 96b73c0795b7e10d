#!/usr/bin/env node
// `npm run build` (also run by `npm ci` through `prepare`, and in the Dockerfile): compiles src/
// to dist/ (same layout, imports rewritten to .js) so that `cascade` starts without compiling
// TypeScript. Without TypeScript installed (`npm ci --omit=dev`) there is nothing to build with:
// it says so and exits 0, and `cascade` keeps running the sources through tsx.
import { spawnSync } from 'node:child_process'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const root = new URL('../', import.meta.url)
let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.error('cascade build: TypeScript is not installed (npm ci --omit=dev?): no dist/, `cascade` runs the TypeScript sources through tsx.')
  process.exit(0)
}
const started = Date.now()
rmSync(new URL('dist/', root), { recursive: true, force: true })
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
if (r.status !== 0) {
  rmSync(new URL('dist/', root), { recursive: true, force: true })
  console.error('cascade build: tsc failed (see above); dist/ removed, `cascade` runs the sources through tsx.')
  process.exit(r.status ?? 1)
}
// Files the code reads next to itself.
cpSync(new URL('src/web/static/', root), new URL('dist/web/static/', root), { recursive: true })
writeFileSync(new URL('dist/.built', root), `${new Date().toISOString()}\n`)
console.error(`cascade build: dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`)
