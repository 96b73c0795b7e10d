#!/usr/bin/env node
// The `cascade` command. Runs the compiled JavaScript in dist/ (built by `npm ci` through the
// `prepare` script, `npm run build`, and in the Docker image). Runs the TypeScript sources
// through tsx instead when there is no build, when a file in src/ is newer than the build
// (so an edit takes effect without a rebuild), or with CASCADE_FROM_SOURCE=1.
import { readdirSync, statSync } from 'node:fs'

const root = new URL('../', import.meta.url)

function builtIsCurrent() {
  let built
  try {
    built = statSync(new URL('dist/.built', root)).mtimeMs
  } catch {
    return false
  }
  let files
  try {
    files = readdirSync(new URL('src/', root), { recursive: true })
  } catch {
    return true // an image ships dist/ without src/
  }
  for (const f of files) if (statSync(new URL(`src/${f}`, root)).mtimeMs > built) return false
  return true
}

let main
if (process.env.CASCADE_FROM_SOURCE !== '1' && builtIsCurrent()) {
  ({ main } = await import('../dist/cli/main.js'))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
