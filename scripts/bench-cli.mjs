#!/usr/bin/env node
// `npm run bench:cli`: how long `cascade` takes to start, side by side with a bare `node -e ''`.
// Median of N starts (default 10) of `help`, `validate` and `status <CODE>`, run from the
// TypeScript sources through tsx (`before`: how every command started until the build step) and
// from the compiled JavaScript in dist/ (`after`: what `npm ci` builds and the image ships).
//   node scripts/bench-cli.mjs [--runs N] [--mode before|after|both] [--json]
// `status` needs Redis (REDIS_URL, default 127.0.0.1:6379): a notice is published in a private
// namespace (bench-cli-…) for it, and the namespace is deleted at the end.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const BIN = path.join(ROOT, 'bin', 'cascade.mjs')
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, mode: { type: 'string', default: 'both' }, json: { type: 'boolean', default: false } } })
const runs = Math.max(1, Number(values.runs) || 10)
const modes = values.mode === 'both' ? ['before', 'after'] : [values.mode]
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const ns = `bench-cli-${Date.now().toString(36)}`

if (modes.includes('after') && !existsSync(path.join(ROOT, 'dist', '.built'))) {
  console.error('dist/ is missing: run `npm run build` first (npm ci runs it).')
  process.exit(1)
}

function envFor(mode) {
  const env = { ...process.env, REDIS_URL: redisUrl, CASCADE_NS: ns, LOG_LEVEL: 'silent' }
  delete env.CASCADE_FROM_SOURCE
  if (mode === 'before') env.CASCADE_FROM_SOURCE = '1'
  return env
}

function once(args, env) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * Median of `runs` starts, each right after a bare `node -e ''` start: on a shared machine the
 * load changes from minute to minute, so each command is compared with its own baseline.
 */
function time(args, env, expectStatus = 0) {
  const times = []
  const bare = []
  for (let i = 0; i < runs; i++) {
    bare.push(once(['-e', ''], process.env).ms)
    const r = once(args, env)
    if (r.status !== expectStatus) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`)
    times.push(r.ms)
  }
  return { ms: median(times), node: median(bare) }
}

async function dropNamespace() {
  const { Redis } = await import('ioredis')
  const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  r.on('error', () => undefined)
  try {
    await r.connect()
    let cursor = '0'
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `{${ns}}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await r.del(...keys)
    } while (cursor !== '0')
  } finally {
    r.disconnect()
  }
}

const results = { runs, node: 0, modes: {} }
try {
  // A notice to ask the status of (published once, from whichever build is there).
  const pub = once([BIN, 'publish', '--node', 'chaotian', '--text', '启动时间测量', '--severity', 'info'], envFor(modes.at(-1)))
  const code = pub.status === 0 ? pub.stdout.trim().split('\n').at(-1) : undefined
  if (!code) console.error(`no Redis at ${redisUrl}? status is not measured (${pub.stderr.trim().split('\n')[0]})`)

  for (const mode of modes) {
    const env = envFor(mode)
    once([BIN, 'help'], env) // warm the file cache (and tsx's transform cache)
    const m = { help: time([BIN, 'help'], env), validate: time([BIN, 'validate'], env) }
    if (code) m.status = time([BIN, 'status', code], env)
    results.modes[mode] = m
  }
} finally {
  await dropNamespace().catch(() => undefined)
}

const f = t => `${Math.round(t.ms)} ms`.padStart(8)
const x = t => `${(t.ms / t.node).toFixed(1)}×`.padStart(6)
const bares = Object.values(results.modes).flatMap(m => Object.values(m).map(t => t.node))
results.node = median(bares)
console.log(`startup, median of ${runs} runs; × = against a bare node -e '' started just before each (median ${Math.round(results.node)} ms)`)
console.log(`${'command'.padEnd(12)}${modes.map(m => `${m.padStart(8)}${''.padStart(6)}`).join('  ')}`)
for (const cmd of ['help', 'validate', 'status']) {
  if (results.modes[modes[0]][cmd] === undefined) continue
  console.log(`${cmd.padEnd(12)}${modes.map(m => `${f(results.modes[m][cmd])}${x(results.modes[m][cmd])}`).join('  ')}`)
}
if (results.modes.after) {
  const a = results.modes.after
  const goal = [`help ${(a.help.ms / a.help.node).toFixed(1)}× (goal ≤ 3×)`]
  if (a.status !== undefined) goal.push(`status ${(a.status.ms / a.status.node).toFixed(1)}× (goal ≤ 8×)`)
  console.log(`goals: ${goal.join(', ')}`)
}
if (values.json) console.log(JSON.stringify(results))
