/**
 * The district's side of a province's notice (issue 28): the province office puts a timer job in
 * this district's own `timers` queue (src/features/province/office.ts); the process that runs this
 * district's timers takes it here.
 *
 * - `province-handoff`: the notice becomes one of this district's announcements, once per province
 *   code (`publishOnce`, key `province:<province id>:<code>`: a job run again after a crash, or
 *   handed again with `cascade province resend`, finds the first one). Its origin relay, the
 *   district's root, is *pending*: the root's curators approve it like any tier's (policies,
 *   reminders and auto-forward apply as for a child's relay), and from there it goes down as usual.
 * - `province-cancel`: the province retracted it. The same key is called off first, so a cancel
 *   that arrives before its notice leaves nothing to publish; otherwise the district's own
 *   retraction runs (pending relays withdrawn, queued posts withdrawn, a retraction notice to every
 *   group that got it), as actor `province`.
 *
 * Only notices from the province named in this district's config/province.yaml are taken; any
 * other is refused (the job fails with the reason, which `cascade province status` shows).
 */
import { UnrecoverableError } from 'bullmq'
import { SEVERITIES, type Announcement, type AnnouncementStatus, type Severity } from '../../domain/announcement.ts'
import { ONCE_CALLED_OFF } from '../../store/store.ts'
import { PROVINCE_ACTOR, type Cascade } from '../../spine/cascade.ts'
import { cancel, type CurationHost } from '../curation/curation.ts'

export const PROVINCE_TIMER = { handoff: 'province-handoff', cancel: 'province-cancel' } as const

/** A province notice as a district gets it: what the province published. */
export interface ProvinceNoticeText {
  code: string
  text: string
  severity: Severity
  category: string
  status: AnnouncementStatus
  ackRequired: boolean
  expiresAt: number
}

/** What a hand-off carries (the job's data): the province, and its notice as it was published there. */
export interface HandoffData extends ProvinceNoticeText { province: { id: string; name: string } }

export interface CancelData { province: { id: string; name: string }; code: string; reason: string }

/** The key a province notice is published under in a district (one announcement per province code). */
export function handoffKey(provinceId: string, code: string): string { return `province:${provinceId}:${code}` }

type ProvinceHost = CurationHost & Pick<Cascade, 'publishOnce' | 'log'>

export function installProvince(app: ProvinceHost): void {
  app.timers.handle(PROVINCE_TIMER.handoff, async data => { await receive(app, data as unknown as HandoffData) })
  app.timers.handle(PROVINCE_TIMER.cancel, async data => { await retract(app, data as unknown as CancelData) })
}

/** Refuses what does not come from this district's province (config/province.yaml). */
function checkFrom(app: ProvinceHost, from: { id: string; name: string } | undefined, what: string): void {
  const mine = app.cfg.province
  if (!mine) throw new UnrecoverableError(`${what} from province "${from?.id}" refused: this district has no config/province.yaml`)
  if (from?.id !== mine.id) throw new UnrecoverableError(`${what} from province "${from?.id}" refused: this district's province is "${mine.id}" (config/province.yaml)`)
}

/** A handed-down notice becomes this district's, its root's relay waiting for the root's curators. */
export async function receive(app: ProvinceHost, d: HandoffData): Promise<Announcement | undefined> {
  checkFrom(app, d.province, `notice ${d.code}`)
  const { cfg } = app
  // A district whose timers ran nowhere for days: its curators are not asked about a dead notice.
  if (d.expiresAt <= app.now() && !await app.store.redis.exists(app.store.keys.once(handoffKey(d.province.id, d.code)))) {
    throw new UnrecoverableError(`notice ${d.code} of ${d.province.name} expired before it arrived (${new Date(d.expiresAt).toISOString()})`)
  }
  const a = await app.publishOnce({
    node: cfg.rootId, author: PROVINCE_ACTOR, text: d.text,
    severity: SEVERITIES.includes(d.severity) ? d.severity : 'normal',
    // The province's category where the district has it, else the district's first.
    category: cfg.categories.includes(d.category) ? d.category : undefined,
    status: d.status === 'exercise' ? 'exercise' : 'actual', ackRequired: d.ackRequired !== false,
    expiresAt: d.expiresAt, handoff: { province: d.province.name, ns: d.province.id, code: d.code },
  }, handoffKey(d.province.id, d.code))
  app.log.info(a ? 'province.received' : 'province.called-off', { province: d.province.id, ref: d.code, code: a?.code })
  return a
}

/** The province retracted its notice: nothing comes of it here any more, and what went out is retracted. */
export async function retract(app: ProvinceHost, d: CancelData): Promise<void> {
  checkFrom(app, d.province, `retraction of ${d.code}`)
  const held = await app.store.callOffOnce(handoffKey(d.province.id, d.code))
  if (held === ONCE_CALLED_OFF) {
    app.log.info('province.called-off-before-arrival', { province: d.province.id, ref: d.code })
    return
  }
  const r = await cancel(app, PROVINCE_ACTOR, held, d.reason)
  app.log.info('province.retracted', { province: d.province.id, ref: d.code, code: held, done: r.done, why: r.why })
  if (!r.done && r.why !== 'already_cancelled') throw new Error(`retraction of ${held} (province ${d.code}) not done: ${r.why}`)
}
