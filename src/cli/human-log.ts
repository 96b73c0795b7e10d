/**
 * The logger of one-shot commands (`publish`, `update`, `cancel`, `invite`, `status` …): no JSON
 * among the answer. It keeps the events and, once the command is done, says what matters in
 * plain sentences ("3 curators have not redeemed their invites yet: nobody will be asked at
 * 中子镇, 羊木镇"). JSON logs stay with the processes (`serve`, `run`); with LOG_LEVEL set, a
 * one-shot command writes them too (on stderr, as before).
 */
import type { Logger } from '../infra/log.ts'
import type { CascadeConfig } from '../config/types.ts'

type Level = 'debug' | 'info' | 'warn' | 'error'
export interface LoggedEvent { level: Level; event: string; fields: Record<string, unknown> }

export class HumanLog implements Logger {
  readonly events: LoggedEvent[] = []

  constructor(private readonly json?: Logger, private readonly base: Record<string, unknown> = {}, events?: LoggedEvent[]) {
    if (events) this.events = events
  }

  private at(level: Level) {
    return (event: string, fields: Record<string, unknown> = {}) => {
      this.events.push({ level, event, fields: { ...this.base, ...fields } })
      this.json?.[level](event, fields)
    }
  }

  debug = this.at('debug')
  info = this.at('info')
  warn = this.at('warn')
  error = this.at('error')
  child(fields: Record<string, unknown>): Logger { return new HumanLog(this.json?.child(fields), { ...this.base, ...fields }, this.events) }

  /** What the operator should know, in sentences (empty when nothing went wrong). */
  summary(cfg: CascadeConfig): string[] {
    return summarize(this.events, cfg)
  }
}

/** The one-shot commands' logger: sentences; JSON too only when LOG_LEVEL asks for it. */
export async function cliLogger(env = process.env): Promise<HumanLog> {
  if (!env.LOG_LEVEL || env.LOG_LEVEL === 'silent') return new HumanLog()
  const { createLogger } = await import('../infra/log.ts')
  return new HumanLog(createLogger({ cmd: 'cli' }))
}

function names(cfg: CascadeConfig, ids: Iterable<string>): string {
  return [...ids].map(id => cfg.people.get(id)?.name ?? id).join(', ')
}

function nodeNames(cfg: CascadeConfig, ids: Iterable<string>): string {
  return [...ids].map(id => cfg.nodes.get(id)?.name ?? id).join(', ')
}

/** The sentences for a command's warnings and errors; info and debug events are not repeated. */
export function summarize(events: LoggedEvent[], cfg: CascadeConfig): string[] {
  const lines: string[] = []
  // Curators and backups a request could not reach (no invite redeemed): per node.
  const unreachable = new Map<string, Set<string>>()
  for (const e of events) {
    if (e.event !== 'approval.unreachable') continue
    const node = String(e.fields.node)
    if (!unreachable.has(node)) unreachable.set(node, new Set())
    unreachable.get(node)!.add(String(e.fields.person))
  }
  if (unreachable.size) {
    const people = new Set([...unreachable.values()].flatMap(s => [...s]))
    const nobody = [...unreachable].filter(([node, ps]) => (cfg.nodes.get(node)?.curators ?? []).every(c => ps.has(c))).map(([node]) => node)
    const some = [...unreachable.keys()].filter(n => !nobody.includes(n))
    const who = people.size === 1 ? `1 curator has not redeemed an invite yet (${names(cfg, people)})` : `${people.size} curators have not redeemed their invites yet (${names(cfg, people)})`
    const parts: string[] = []
    if (nobody.length) parts.push(`nobody will be asked at ${nodeNames(cfg, nobody)}`)
    for (const n of some) parts.push(`${names(cfg, unreachable.get(n)!)} will not be asked at ${nodeNames(cfg, [n])}`)
    lines.push(`${who}: ${parts.join('; ')}. Give each an invite (cascade invite --person <id>); they are asked as soon as they redeem it.`)
  }
  for (const e of events) {
    if (e.event === 'approval.unreachable' || (e.level !== 'warn' && e.level !== 'error')) continue
    const { err, hint, ...rest } = e.fields
    const detail = Object.entries(rest).filter(([k]) => k !== 'cmd').map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
    const why = err instanceof Error ? err.message : err !== undefined ? String(err) : undefined
    lines.push(`${e.level === 'error' ? 'Error' : 'Note'}: ${e.event}${detail ? ` (${detail})` : ''}${why ? `: ${why}` : ''}${hint ? ` — ${String(hint)}` : ''}`)
  }
  return lines
}
