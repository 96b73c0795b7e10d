#!/usr/bin/env node
// Build-time only (the Dockerfile's deps stage): copies into OUT only the files of APP/node_modules
// that the compiled app can load. @vercel/nft (the file tracer behind Next.js' standalone output)
// follows every import and require from bin/cascade.mjs and every module of dist/ (so the commands'
// lazily imported modules, the demo and the webwx simulator are all in), including require.resolve,
// path.join(__dirname, …) reads and native addons loaded through node-gyp-build.
//
// On top of what the tracer finds: every package.json of a package it reached (module resolution
// reads them) and KEEP below (folders served or read as a whole, which no tracer can follow).
// Never copied: source maps, type declarations, TypeScript sources, READMEs and changelogs,
// native prebuilds for other platforms. Prints what it kept.
//
//   node slim.mjs APP OUT      (e.g. node /trace/slim.mjs /app /slim  ->  /slim/node_modules)
import { nodeFileTrace } from '@vercel/nft'
import { cpSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const [app, out] = process.argv.slice(2).map(p => path.resolve(p))
if (!app || !out) { console.error('usage: node slim.mjs APP OUT'); process.exit(2) }

/**
 * Copied whole: @bull-board/express serves the dashboard's files from @bull-board/ui/dist;
 * wechaty-grpc requires its generated protobuf modules from a list of computed paths.
 */
const KEEP = ['node_modules/@bull-board/ui/dist', 'node_modules/@bull-board/ui/package.json']
/**
 * Copied whole and traced: wechaty-grpc requires its generated protobuf modules from computed paths
 * and reads its .proto files at load time (the ES module build: wechaty-puppet-service imports it).
 */
const KEEP_TRACED = ['node_modules/wechaty-grpc/dist/esm/out', 'node_modules/wechaty-grpc/dist/esm/proto']
const KEEP_SKIP = /\/(tests|examples)\//
/**
 * Not followed: tsx (and its 11 MB esbuild binary) runs the TypeScript sources when there is no
 * dist/ (bin/cascade.mjs); the image always has dist/ and no src/, so CASCADE_FROM_SOURCE=1 does
 * not work in it.
 */
const IGNORE = /^node_modules\/(tsx|esbuild|@esbuild)\//
const JUNK = /(\.map|\.[cm]?ts|\.md|\.markdown)$/i
const FOREIGN_PREBUILD = /\/prebuilds\/(?!linux-x64)[^/]+\//

const entries = [path.join(app, 'bin/cascade.mjs')]
for (const f of readdirSync(path.join(app, 'dist'), { recursive: true })) {
  if (/\.[cm]?js$/.test(f) && !f.startsWith('web/static/')) entries.push(path.join(app, 'dist', f)) // not browser scripts
}
for (const k of KEEP_TRACED) {
  for (const f of readdirSync(path.join(app, k), { recursive: true })) {
    if (/\.[cm]?js$/.test(f) && !KEEP_SKIP.test(`/${f}`)) entries.push(path.join(app, k, f))
  }
}

const started = Date.now()
const { fileList, warnings } = await nodeFileTrace(entries, { base: app, processCwd: app, ignore: p => IGNORE.test(p) })
const wanted = new Set()
for (const f of fileList) if (f.startsWith('node_modules/')) wanted.add(f)
// Every package a traced file lives in: its package.json (module resolution reads it) and, for a
// small package (under SMALL bytes without junk), all its files: the tracer misses conditions such
// as "module-sync" in a package's exports, and whole small packages cost little.
const roots = new Set()
for (const f of wanted) {
  const m = f.match(/^((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+)/)
  if (m) roots.add(m[1])
}
const SMALL = 256 * 1024
for (const root of roots) {
  wanted.add(`${root}package.json`)
  const own = readdirSync(path.join(app, root), { recursive: true })
    .filter(f => !f.startsWith('node_modules') && !JUNK.test(f) && statSync(path.join(app, root, f)).isFile())
  const size = own.reduce((n, f) => n + statSync(path.join(app, root, f)).size, 0)
  if (size < SMALL) for (const f of own) wanted.add(`${root}${f}`)
}
for (const k of [...KEEP, ...KEEP_TRACED]) {
  const abs = path.join(app, k)
  if (statSync(abs).isDirectory()) {
    for (const f of readdirSync(abs, { recursive: true })) if (!KEEP_SKIP.test(`/${f}`)) wanted.add(path.join(k, f))
  }
  else wanted.add(k)
}

let bytes = 0
let files = 0
for (const f of wanted) {
  if (JUNK.test(f) || FOREIGN_PREBUILD.test(f)) continue
  const src = path.join(app, f)
  let st
  try { st = statSync(src) } catch { continue }
  if (!st.isFile()) continue
  mkdirSync(path.dirname(path.join(out, f)), { recursive: true })
  cpSync(src, path.join(out, f))
  bytes += st.size
  files++
}
let total = 0
let totalFiles = 0
for (const f of readdirSync(path.join(app, 'node_modules'), { recursive: true })) {
  const st = statSync(path.join(app, 'node_modules', f))
  if (st.isFile()) { total += st.size; totalFiles++ }
}
const mb = n => (n / 1e6).toFixed(1)
console.log(`slim node_modules: kept ${files} of ${totalFiles} files, ${mb(bytes)} of ${mb(total)} MB, ${entries.length} entry files, ${warnings.size} tracer warnings, ${((Date.now() - started) / 1000).toFixed(1)} s`)
if (files < 1000) { console.error('slim node_modules: suspiciously few files kept'); process.exit(1) }
