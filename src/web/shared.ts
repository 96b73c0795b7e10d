/**
 * What the HTTP API (api.ts) and the command centre (command-centre.ts, views.ts) share: who
 * publishes through the API, the checks of a publish request, the readiness report.
 */
import { SEVERITIES, type Severity } from '../domain/announcement.ts'
import { isBlank } from '../domain/text.ts'
import { accountState, BotHealth } from '../infra/bot-health.ts'
import type { Cascade } from '../spine/cascade.ts'

/** Author id of announcements published through the API. */
export const API_AUTHOR = 'ops-api'
/** Longest announcement text the API accepts (a WeChat message stays readable). */
export const MAX_TEXT_CHARS = 2000
/** How long /readyz waits for Redis before calling it unreachable. */
const REDIS_PING_TIMEOUT_MS = 1000
/** Problems with a publish request body, in plain words; empty when it is fine. */
export function publishProblems(app: Cascade, body: unknown): string[] {
  if (!body || typeof body !== 'object') return ['send a JSON object: {"node": "...", "text": "..."}']
  const b = body as Record<string, unknown>
  const problems: string[] = []
  if (typeof b.node !== 'string' || !app.cfg.nodes.has(b.node)) problems.push(`node: one of ${[...app.cfg.nodes.keys()].slice(0, 8).join(', ')}…`)
  // Blank also when only zero-width characters or label words (【紧急通知】) would be left (issue 23, item 6).
  if (typeof b.text !== 'string' || isBlank(app.texts.body(b.text))) problems.push('text: the announcement, a non-empty string (visible characters)')
  else if (b.text.length > MAX_TEXT_CHARS) problems.push(`text: at most ${MAX_TEXT_CHARS} characters`)
  if (b.severity !== undefined && !SEVERITIES.includes(b.severity as Severity)) problems.push(`severity: one of ${SEVERITIES.join(', ')}`)
  if (b.category !== undefined && !app.cfg.categories.includes(b.category as string)) problems.push(`category: one of ${app.cfg.categories.join(', ')}`)
  if (b.ackRequired !== undefined && typeof b.ackRequired !== 'boolean') problems.push('ackRequired: true or false')
  return problems
}

/** Redis answers PING within a second. */
export async function redisAnswers(app: Pick<Cascade, 'store'>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>(resolve => { timer = setTimeout(() => resolve(false), REDIS_PING_TIMEOUT_MS) })
  try {
    return await Promise.race([app.store.redis.ping().then(p => p === 'PONG', () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function iso(ms: number | undefined): string | null { return ms === undefined ? null : new Date(ms).toISOString() }

/**
 * The status report: Redis, and per account whether it is logged in, its queue and last send.
 * `ready` is this process's readiness — Redis answers, so it can serve (the page with a logged-out
 * account's QR code included: issue 26, item 2); `accountsReady` whether every account works.
 */
export async function readiness(app: Cascade): Promise<{ ready: boolean; redis: boolean; accountsReady: boolean; bots: Record<string, unknown>[] }> {
  if (!await redisAnswers(app)) return { ready: false, redis: false, accountsReady: false, bots: [] }
  const health = new BotHealth(app.store)
  const bots = [...app.cfg.bots.values()]
  const now = app.now()
  const alive = await app.store.aliveBots(bots.map(b => b.id))
  const report = await Promise.all(bots.map(async b => {
    const [r, queue] = await Promise.all([health.read(b.id, now), app.outboxes.queue(b.id).getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed')])
    const backlog = queue.waiting + queue.prioritized + queue.active + queue.delayed
    const s = accountState(r, alive.has(b.id))
    return {
      id: b.id, name: b.name, loggedIn: alive.has(b.id),
      // One word, since when, and why: "stopped" (by its process) is not "logged out" (by WeChat).
      state: s.state, since: iso(s.since), why: s.why,
      backlog, queue,
      lastSendAt: iso(r.lastSendAt), lastSendAgoSeconds: r.lastSendAt === undefined ? null : Math.round((now - r.lastSendAt) / 1000),
      loginAt: iso(r.loginAt), logoutAt: iso(r.logoutAt), logoutReason: r.logoutReason ?? null,
      missingGroups: r.missingGroups, missingPeople: r.missingPeople,
      hints: [
        ...r.missingGroups.length ? [`${r.missingGroups.length} 个群未找到：网页版微信只列出“保存到通讯录”的群，请在手机上把这些群保存到通讯录`] : [],
        ...r.missingPeople.length ? [`${r.missingPeople.length} 人需重新绑定：请他们私聊本号发送个人识别码`] : [],
      ],
      relogins: r.relogins, reloginAt: iso(r.reloginAt),
      lastFault: r.fault ? { at: iso(r.fault.at), what: r.fault.what } : null,
      backoffUntil: r.backoffUntil !== undefined && r.backoffUntil > now ? iso(r.backoffUntil) : null,
      qrWaiting: r.qr !== undefined,
      // WeChat's own words when it refuses this account web login.
      barred: r.barred?.why ?? null,
    }
  }))
  // Accounts ready: every account works (logged in, and not reconnecting, stalled or without its contact list).
  return { ready: true, redis: true, accountsReady: report.every(b => b.loggedIn && b.state === 'logged in'), bots: report }
}
