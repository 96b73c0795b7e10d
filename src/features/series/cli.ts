/**
 * `cascade series list [--json]`                    every series: next run, last runs, paused and approved where
 * `cascade series run <ID>`                         make a run now (the same path as the scheduler's; once per minute slot)
 * `cascade series pause|resume <ID> [--node <id>]`  for a node's subtree (default: the whole series)
 * `cascade series figures <ID> 确诊=0 疑似=0 …`      the figures of the next run of a template series
 * `cascade inbox list [--all] [--json]`             the district's inbox
 */
import { parseOptions, UsageError } from '../../cli/args.ts'
import { cliLogger } from '../../cli/human-log.ts'
import { compose } from '../../app/compose.ts'
import { loadConfig } from '../../config/load.ts'
import { redisUrlFromEnv } from '../../infra/redis.ts'
import { requireRedis } from '../../infra/redis-reach.ts'
import { CLI_AUTHOR, type Cascade } from '../../spine/cascade.ts'
import { dateAndClock } from '../../domain/status.ts'
import { parseFigures } from '../../domain/series.ts'
import { inboxOf } from '../inbox/inbox.ts'
import { seriesApprovals } from './install.ts'
import { seriesOf, type SeriesEngine } from './series.ts'

const OPTIONS = {
  config: { type: 'string', default: 'config' }, bots: { type: 'string', default: 'bots' },
  node: { type: 'string' }, json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false },
} as const

async function withSeries<T>(values: { config?: unknown; bots?: unknown }, fn: (e: SeriesEngine, app: Cascade) => Promise<T>): Promise<T> {
  const cfg = await loadConfig({ configDir: String(values.config), botsDir: String(values.bots) })
  const url = redisUrlFromEnv()
  await requireRedis(url)
  const c = compose({ cfg, redisUrl: url, ns: process.env.CASCADE_NS, log: await cliLogger() })
  try { return await fn(seriesOf(c.app)!, c.app) } finally { await c.close() }
}

export async function seriesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS)
  const [sub, id, ...rest] = positionals
  if (!sub || !['list', 'run', 'pause', 'resume', 'figures'].includes(sub)) throw new UsageError(sub ? `unknown subcommand "${sub}"; use list, run, pause, resume or figures` : 'a subcommand is needed: list, run, pause, resume or figures')
  if (sub !== 'list' && !id) throw new UsageError(`cascade series ${sub} needs a series id, e.g. S1`)
  return withSeries(values, async (e, app) => {
    if (sub === 'list') {
      const rows = []
      for (const d of await e.defs()) {
        const [runs, pauses, approvals] = await Promise.all([e.st.recentRuns(d.id, 3), e.st.pauses(d.id), e.st.approvals(d.id)])
        const hash = e.hash(d)
        rows.push({ id: d.id, title: d.title, schedule: d.schedule, tz: d.tz, source: d.source.kind, from: d.from, next: new Date(e.next(d)).toISOString(),
          lastRuns: runs.map(r => ({ run: r.key, state: r.state, why: r.why, code: r.code })), paused: [...pauses.keys()],
          approvedAt: [...approvals].filter(([, a]) => a.hash === hash).map(([n]) => n) })
      }
      if (values.json) { console.log(JSON.stringify(rows, null, 2)); return 0 }
      if (!rows.length) console.log('no series (config/series.yaml, or the command centre\'s 系列 page)')
      for (const r of rows) {
        console.log(`${r.id}  ${r.title}  ${r.schedule} (${r.tz}), ${r.source}${r.from === 'web' ? ', made in the command centre' : ''}`)
        console.log(`    next ${dateAndClock(Date.parse(r.next))} Beijing; approved once at ${r.approvedAt.length} node(s)${r.paused.length ? `; paused at ${r.paused.join(', ')}` : ''}`)
        for (const l of r.lastRuns) console.log(`    ${l.run}  ${l.state}${l.why ? ` (${l.why})` : ''}${l.code ? `  ${l.code}` : ''}`)
      }
      return 0
    }
    const def = await e.def(id)
    if (!def) { console.error(`no series "${id}"; series: ${(await e.defs()).map(d => d.id).join(', ') || '(none)'}`); return 1 }
    if (sub === 'run') {
      const run = await e.runSlot(def.id, app.now(), { byHand: true })
      if (!run) { console.error(`a run of ${def.id} was already made this minute`); return 1 }
      console.log(`${def.id} ${run.key}: ${run.state}${run.why ? ` (${run.why})` : ''}${run.code ? `, announcement ${run.code}` : ''}${run.heldUntil ? `, goes out at ${dateAndClock(run.heldUntil)} (quiet hours)` : ''}`)
      return run.state === 'published' || run.state === 'held' ? 0 : 1
    }
    if (sub === 'figures') {
      if (def.source.kind !== 'template') { console.error(`${def.id} takes no figures (its text is ${def.source.kind})`); return 1 }
      const figures = parseFigures(rest.join(' '), def.source.fields)
      if (!figures) throw new UsageError(`no figures read; ${def.id} needs ${def.source.fields.map(f => `${f}=N`).join(' ')}`)
      console.log(`figures for ${def.id} on ${await e.submitFigures(def, figures, CLI_AUTHOR)}: ${JSON.stringify(figures)}`)
      return 0
    }
    const node = values.node === undefined ? def.origin : String(values.node)
    if (!app.cfg.nodes.has(node)) { console.error(`unknown node "${node}"`); return 1 }
    await seriesApprovals(e).pauseAt(def, [node], sub === 'pause' ? 'pause' : 'resume', CLI_AUTHOR)
    console.log(`${def.id} ${sub === 'pause' ? 'paused' : 'resumed'} at ${node}${node === def.origin ? ' (the whole series)' : ' and below'}`)
    return 0
  })
}

export async function inboxCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS)
  if (positionals[0] !== 'list') throw new UsageError('use: cascade inbox list [--all] [--json]')
  return withSeries(values, async (_e, app) => {
    const items = await inboxOf(app)!.list(values.all ? 'all' : 'waiting', 200)
    if (values.json) console.log(JSON.stringify(items, null, 2))
    else for (const i of items) console.log(`${i.id}  ${i.state}  ${i.source}  ${dateAndClock(i.receivedAt)}  ${(i.title || i.text).slice(0, 60)}${i.code ? `  → ${i.code}` : ''}`)
    return 0
  })
}
