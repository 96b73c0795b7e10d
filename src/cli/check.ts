/**
 * `cascade check [--config DIR] [--bots DIR]`: before and after an upgrade (docs/OPERATIONS.md),
 * what must change and what should, in one list:
 *
 * - the configuration: problems (must), files not read and features off (should);
 * - the environment of `serve`: the API token, PORT, CASCADE_TRUST_PROXY (must);
 * - Redis: its version, `maxmemory-policy noeviction` (must: BullMQ loses jobs otherwise),
 *   persistence (should);
 * - the data in this namespace: accounts with state or posts waiting but no bots/<id>.yaml, recent
 *   notices at nodes the configuration no longer has, metrics stored by an older version.
 *
 * Exit 0 when nothing must change, 1 otherwise.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { loadConfig, ConfigError, reportProblems } from '../config/load.ts'
import { loadRumorFile } from '../domain/rumor/library.ts'
import { describeFeatures, unknownConfigFiles } from '../config/optional-files.ts'
import type { CascadeConfig } from '../config/types.ts'
import { definedMetrics } from '../infra/metrics.ts'
import { redisUrlFromEnv } from '../infra/redis.ts'
import { requireRedis } from '../infra/redis-reach.ts'
import { portSetting, tokenProblem, trustProxySetting } from '../web/http-guards.ts'
import { configDirs } from './args.ts'

type Level = 'must' | 'should' | 'ok'
interface Finding { level: Level; what: string }

/** Redis below this version is not supported (BullMQ's scripts use its commands). */
const MIN_REDIS = [6, 2]

export async function checkCommand(values: { config?: unknown; bots?: unknown }, env = process.env, out = (l: string) => console.log(l)): Promise<number> {
  const found: Finding[] = []
  const add = (level: Level, what: string) => found.push({ level, what })
  const dirs = configDirs(values, env)

  let cfg: CascadeConfig | undefined
  try {
    cfg = await loadConfig(dirs)
    add('ok', `configuration ${dirs.configDir}, ${dirs.botsDir}: valid`)
    for (const f of unknownConfigFiles(dirs.configDir)) add('should', `${dirs.configDir}/${f}: not read by this version (a renamed or misnamed file?)`)
    const rumors = path.join(dirs.configDir, 'rumors.yaml')
    const entries = existsSync(rumors) ? (await loadRumorFile(rumors)).entries.length : undefined
    for (const f of describeFeatures(cfg, entries)) if (f.state === 'off') add('should', `${f.name}: off (${f.detail})`)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const line of reportProblems(err.problems)) add('must', `configuration: ${line}`)
  }

  for (const [name, problem] of [
    ['CASCADE_API_TOKEN', env.CASCADE_API_TOKEN ? tokenProblem(env.CASCADE_API_TOKEN) : 'not set: the API and the command centre answer 503 (serve only)'],
    ['PORT', attempt(() => portSetting(env.PORT, 8080))],
    ['CASCADE_TRUST_PROXY', attempt(() => trustProxySetting(env.CASCADE_TRUST_PROXY))],
  ] as const) {
    if (problem) add(name === 'CASCADE_API_TOKEN' && !env.CASCADE_API_TOKEN ? 'should' : 'must', `${name}: ${problem}`)
  }

  const url = redisUrlFromEnv(env)
  try {
    await requireRedis(url)
  } catch (err) {
    add('must', (err as Error).message)
    return report(found, out)
  }
  const { compose } = await import('../app/compose.ts')
  const { silentLogger } = await import('../infra/log.ts')
  if (!cfg) return report(found, out)
  const c = compose({ cfg, redisUrl: url, ns: env.CASCADE_NS, log: silentLogger })
  try {
    await checkRedis(c.app.store.redis, add)
    await checkData(c.app, cfg, add)
  } finally {
    await c.close()
  }
  return report(found, out)
}

function attempt(fn: () => unknown): string | undefined {
  try { fn(); return undefined } catch (err) { return (err as Error).message }
}

type Redis = import('ioredis').Redis

async function checkRedis(redis: Redis, add: (l: Level, w: string) => void): Promise<void> {
  const info = await redis.info('server')
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?'
  const [major, minor] = version.split('.').map(Number)
  if (major < MIN_REDIS[0] || (major === MIN_REDIS[0] && minor < MIN_REDIS[1])) add('must', `Redis ${version}: use ${MIN_REDIS.join('.')} or newer`)
  else add('ok', `Redis ${version}`)
  const config = async (key: string) => {
    try { return ((await redis.config('GET', key)) as string[])[1] } catch { return undefined }
  }
  const [policy, aof, save] = await Promise.all([config('maxmemory-policy'), config('appendonly'), config('save')])
  if (policy === undefined) add('should', 'Redis CONFIG is not allowed here: make sure maxmemory-policy is noeviction and persistence is on (docs/OPERATIONS.md)')
  else if (policy !== 'noeviction') add('must', `Redis maxmemory-policy is ${policy}: set noeviction (an evicted key is a lost post or approval)`)
  if (aof === 'no' && !save) add('should', 'Redis keeps nothing on disk (appendonly no, no save points): a restart loses every notice, binding and queued post (docs/OPERATIONS.md, Backups)')
  else if (aof === 'no') add('should', `Redis persists by RDB snapshots only (save "${save}"): a crash loses what changed since the last one; appendonly yes loses at most a second`)
}

async function checkData(app: { store: import('../store/store.ts').Store; outboxes: import('../queue/outbox.ts').Outboxes }, cfg: CascadeConfig, add: (l: Level, w: string) => void): Promise<void> {
  const { store } = app
  // Accounts Redis knows that no bots/<id>.yaml describes any more.
  const known = new Set<string>()
  let cursor = '0'
  do {
    const [next, keys] = await store.redis.scan(cursor, 'MATCH', `${store.keys.base}ops:bot:*`, 'COUNT', 500)
    cursor = next
    for (const k of keys) known.add(k.slice(`${store.keys.base}ops:bot:`.length))
  } while (cursor !== '0')
  for (const bot of [...known].filter(b => !cfg.bots.has(b)).sort()) {
    const counts = await app.outboxes.queue(bot).getJobCounts('waiting', 'prioritized', 'delayed')
    const waiting = counts.waiting + counts.prioritized + counts.delayed
    add(waiting ? 'must' : 'should', `account ${bot} has a record in Redis but no ${cfg.botsDir}/${bot}.yaml${waiting ? `: ${waiting} post(s) wait in its outbox and will not be sent — bring the file back (and run it) until it is empty` : ' (renamed or removed? its record is kept, harmless)'}`)
  }
  // Recent notices at nodes the network no longer has: their status can't be shown.
  const unknownAt = new Map<string, string[]>()
  for (const code of await store.recentCodes(50)) {
    const a = await store.announcement(code)
    if (a && !cfg.nodes.has(a.originNode)) unknownAt.set(a.originNode, [...unknownAt.get(a.originNode) ?? [], code])
  }
  for (const [node, codes] of unknownAt) add('should', `notice(s) ${codes.slice(0, 5).join(', ')} were published at node "${node}", which ${cfg.configDir}/network.yaml no longer has: cascade status cannot show them (renamed node ids lose their notices' trees)`)
  // Counters an older version kept in Redis (before issue 26 they were shared; now each process counts its own).
  const gauges = new Set(definedMetrics().filter(d => d.kind === 'gauge').map(d => d.name))
  const stale = (await store.redis.hkeys(`${store.keys.base}metrics`)).filter(f => !gauges.has(f.split('|')[0]))
  if (stale.length) add('should', `${stale.length} metric field(s) of an older version in ${store.keys.base}metrics are no longer read: remove them with redis-cli HDEL (or leave them; they are ignored)`)
  const ns = store.keys.base.replace(/:$/, '')
  if (!known.size && !(await store.recentCodes(1)).length) add('ok', `namespace ${ns} is empty (a first start)`)
  else add('ok', `namespace ${ns}: ${known.size} account record(s)`)
}

function report(found: Finding[], out: (l: string) => void): number {
  for (const level of ['must', 'should', 'ok'] as const) for (const f of found.filter(x => x.level === level)) out(`${level.padEnd(6)} ${f.what}`)
  const must = found.filter(f => f.level === 'must').length
  out(must ? `${must} thing(s) must change before this version runs.` : 'Nothing must change.')
  return must ? 1 : 0
}
