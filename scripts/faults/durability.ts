/**
 * What `appendfsync always` costs against `everysec` at district scale:
 * `node --import tsx scripts/faults/durability.ts [--rounds 2] [--pacing off|on] [--json]`.
 *
 * For each setting, a fresh redis-server of the fault suite (redis-server.ts: loopback port
 * 6390–6399, AOF on, `--dir` a temp dir on the machine's disk) and the district fan-out of
 * bench/fanout-bench.ts on it (`--scale district --pacing off`: 500 groups, 10 accounts, pacing
 * off, so what is measured is Cascade and Redis, not WeChat's pace): publish → last group
 * confirmed, the publish call, sends/s. Rounds alternate the settings (everysec, always,
 * everysec, …) so that the machine's other load falls on both. Also: one client's sequential
 * SET round trip (what an fsync per write costs alone) and the AOF bytes a district notice
 * writes (how much a lost second can hold).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { RedisServer, type Fsync } from './redis-server.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const argv = process.argv.slice(2)
const JSON_OUT = argv.includes('--json')
const ROUNDS = Number(argv.find(a => a.startsWith('--rounds='))?.slice(9) ?? (argv.includes('--rounds') ? argv[argv.indexOf('--rounds') + 1] : 2))
/** `--pacing on`: the real pace (60 posts/minute per account), where WeChat, not Redis, sets the speed. */
const PACING = argv.find(a => a.startsWith('--pacing='))?.slice(9) ?? (argv.includes('--pacing') ? argv[argv.indexOf('--pacing') + 1] : 'off')
const log = (line: string) => console.error(line)

interface Round { fsync: Fsync; lastConfirmedMs: number; publishCallMs: number; sendsPerSecond: number; aofBytes: number; setP50Us: number; setP99Us: number; confirmed: string }

function bench(url: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/fanout-bench.ts', '--scale', 'district', '--pacing', PACING, '--json'], { cwd: ROOT, env: { ...process.env, REDIS_URL: url }, stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', d => { out += d })
    child.on('exit', code => {
      const last = out.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`fanout bench exited ${code}`))
      try { resolve(JSON.parse(last)) } catch (e) { reject(e) }
    })
  })
}

async function setLatency(url: string, n = 2000): Promise<{ p50: number; p99: number }> {
  const r = new Redis(url)
  const us: number[] = []
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint()
    await r.set(`durability:${i % 100}`, String(i))
    us.push(Number(process.hrtime.bigint() - t) / 1000)
  }
  await r.del(...Array.from({ length: 100 }, (_, i) => `durability:${i}`))
  await r.quit()
  us.sort((a, b) => a - b)
  return { p50: us[Math.floor(n * 0.5)], p99: us[Math.floor(n * 0.99)] }
}

async function aofBytes(dir: string): Promise<number> {
  const d = path.join(dir, 'appendonlydir')
  let n = 0
  for (const f of await readdir(d)) n += (await stat(path.join(d, f))).size
  return n
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'cascade-durability-'))
  const rounds: Round[] = []
  try {
    for (let i = 0; i < ROUNDS; i++) {
      for (const fsync of (i % 2 ? ['always', 'everysec'] : ['everysec', 'always']) as Fsync[]) {
        const server = await RedisServer.create(fsync, undefined, root)
        try {
          const lat = await setLatency(server.url)
          const before = await aofBytes(server.dir)
          log(`round ${i + 1}, ${fsync}: fan-out on ${server.url} …`)
          const j = await bench(server.url)
          const off = j.scales.district[PACING]
          const r: Round = {
            fsync, lastConfirmedMs: off.lastConfirmedMs, publishCallMs: off.publishCallMs, sendsPerSecond: off.sendsPerSecond.overall,
            aofBytes: await aofBytes(server.dir) - before, setP50Us: lat.p50, setP99Us: lat.p99,
            confirmed: `${off.correctness.confirmed}/${off.correctness.groups}`,
          }
          rounds.push(r)
          log(`  ${JSON.stringify(r)}`)
        } finally {
          await server.remove()
        }
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
  const med = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
  const summary = (fsync: Fsync) => {
    const rs = rounds.filter(r => r.fsync === fsync)
    return {
      rounds: rs.length,
      lastConfirmedMs: med(rs.map(r => r.lastConfirmedMs)), publishCallMs: med(rs.map(r => r.publishCallMs)),
      sendsPerSecond: med(rs.map(r => r.sendsPerSecond)), setP50Us: med(rs.map(r => r.setP50Us)), setP99Us: med(rs.map(r => r.setP99Us)),
      aofBytesPerNotice: med(rs.map(r => r.aofBytes)), confirmed: rs.map(r => r.confirmed).join(', '),
    }
  }
  const e = summary('everysec')
  const a = summary('always')
  const f0 = (n: number) => Math.round(n).toLocaleString('en-US')
  const rows: [string, string, string, string][] = [
    [`district, pacing ${PACING} (medians)`, 'everysec', 'always', 'always ÷ everysec'],
    ['publish → last group confirmed (ms)', f0(e.lastConfirmedMs), f0(a.lastConfirmedMs), (a.lastConfirmedMs / e.lastConfirmedMs).toFixed(2)],
    ['publish() call (ms)', f0(e.publishCallMs), f0(a.publishCallMs), (a.publishCallMs / e.publishCallMs).toFixed(2)],
    ['sends/s', f0(e.sendsPerSecond), f0(a.sendsPerSecond), (a.sendsPerSecond / e.sendsPerSecond).toFixed(2)],
    ['one client SET round trip p50 / p99 (µs)', `${f0(e.setP50Us)} / ${f0(e.setP99Us)}`, `${f0(a.setP50Us)} / ${f0(a.setP99Us)}`, (a.setP50Us / e.setP50Us).toFixed(1)],
    ['AOF written per district notice (KiB)', f0(e.aofBytesPerNotice / 1024), f0(a.aofBytesPerNotice / 1024), ''],
    ['groups confirmed', e.confirmed, a.confirmed, ''],
  ]
  const w = [0, 1, 2, 3].map(i => Math.max(...rows.map(r => r[i].length)))
  for (const r of rows) console.log(r.map((c, i) => i === 0 ? c.padEnd(w[i]) : c.padStart(w[i])).join('  '))
  if (JSON_OUT) console.log(JSON.stringify({ bench: 'durability', pacing: PACING, node: process.version, cores: os.cpus().length, everysec: e, always: a, rounds }))
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
