/**
 * The list of announcements, filterable by state and date: `GET /api/announcements` (the token:
 * everything) and `GET /cc/api/announcements` (a session: its scope). Query:
 *
 *   state   live | scheduled | retracted | expired (comma-separated for several)
 *   since   created at or after: 2026-12-01 (a Beijing day) or an ISO time
 *   until   created before: 2026-12-02 (the Beijing day's start) or an ISO time
 *   limit   at most this many, newest first (default 100, at most 1000)
 */
import type { Cascade } from '../spine/cascade.ts'
import { opsScope, type Scope } from './scope.ts'
import { codeStatus, noticeInScope, scopedTotals, scopedTree, type CodeStatus } from './view-kit.ts'

const STATES: readonly CodeStatus[] = ['live', 'scheduled', 'retracted', 'expired']
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

export interface ListQuery { states?: CodeStatus[]; since?: number; until?: number; limit: number }

function time(v: string): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) { const ms = Date.parse(`${v}T00:00:00+08:00`); return Number.isNaN(ms) ? undefined : ms }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return undefined
  const ms = Date.parse(v)
  return Number.isNaN(ms) ? undefined : ms
}

/** The query, or the problems with it (each naming the parameter and what is allowed). */
export function parseListQuery(q: Record<string, unknown>): ListQuery | { problems: string[] } {
  const problems: string[] = []
  const one = (k: string) => { const v = q[k]; return typeof v === 'string' ? v : v === undefined ? undefined : (problems.push(`${k}: give it once`), undefined) }
  const out: ListQuery = { limit: DEFAULT_LIMIT }
  const state = one('state')
  if (state !== undefined) {
    const states = state.split(',').map(s => s.trim())
    const bad = states.filter(s => !STATES.includes(s as CodeStatus))
    if (bad.length) problems.push(`state: "${bad.join(',')}" is not one of ${STATES.join(', ')}`)
    else out.states = states as CodeStatus[]
  }
  for (const k of ['since', 'until'] as const) {
    const v = one(k)
    if (v === undefined) continue
    const ms = time(v)
    if (ms === undefined) problems.push(`${k}: "${v}" is not a date (2026-12-01, a Beijing day) or an ISO time (2026-12-01T08:00:00+08:00)`)
    else out[k] = ms
  }
  const limit = one('limit')
  if (limit !== undefined) {
    const n = Number(limit)
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) problems.push(`limit: a whole number from 1 to ${MAX_LIMIT}`)
    else out.limit = n
  }
  return problems.length ? { problems } : out
}

/** The announcements of the query in the scope, newest first, each with its state and its totals (in the scope). */
export async function listAnnouncements(app: Cascade, q: ListQuery, scope: Scope = opsScope(app)): Promise<Record<string, unknown>[]> {
  const codes = await app.store.redis.zrevrangebyscore(app.store.keys.announcements(), q.until !== undefined ? `(${q.until}` : '+inf', q.since ?? '-inf')
  const out: Record<string, unknown>[] = []
  for (const code of codes) {
    if (out.length >= q.limit) break
    const s = await app.statusTree(code)
    if (!s || !noticeInScope(s.announcement, s.root, scope)) continue
    const a = s.announcement
    const state = await codeStatus(app, a)
    if (q.states && !q.states.includes(state)) continue
    const t = scopedTotals(scopedTree(s.root, scope), scope)
    out.push({
      code: a.code, state, type: a.type, references: a.references ?? null, origin: a.originNode, author: a.author,
      severity: a.severity, category: a.category, exercise: a.status === 'exercise',
      createdAt: new Date(a.createdAt).toISOString(), scheduledAt: a.scheduledAt ? new Date(a.scheduledAt).toISOString() : null,
      expiresAt: a.expiresAt ? new Date(a.expiresAt).toISOString() : null,
      relays: t.relays, groups: { total: t.groups.total, confirmed: t.groups.confirmed, failed: t.groups.failed }, acks: t.acks, members: t.members,
    })
  }
  return out
}
