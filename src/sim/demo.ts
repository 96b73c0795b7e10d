/**
 * `cascade demo`: the whole demo district simulated in one process, on the mock puppet or (with
 * `--webwx`) over the simulated web-WeChat server with the real client library (demo-world.ts).
 * Invites are redeemed, the publisher publishes, curators approve after short random delays
 * (one township curator edits, one village curator rejects), villagers acknowledge with some
 * probability, and some chat that is not an acknowledgment goes by.
 */
import type { CascadeConfig } from '../config/types.ts'
import type { Relay } from '../domain/announcement.ts'
import { totals, type StatusNode } from '../domain/status.ts'
import { ensureRedis } from '../infra/redis.ts'
import { requireRedis } from '../infra/redis-reach.ts'
import { createLogger, silentLogger } from '../infra/log.ts'
import path from 'node:path'
import { casesOf } from '../features/cases/cases.ts'
import { coverageOf } from '../features/coverage/coverage.ts'
import { loadRumorLibrary } from '../domain/rumor/library.ts'
import { startDemoDistrict, type DemoDistrict, type DemoWorldKind } from './demo-world.ts'
import { endOnceAndOnSignal, keepKeysExpiring } from './demo-keys.ts'
import { seeded, type WorldMessage } from './world.ts'
import type { DemoSummary } from './demo-types.ts'
import { CHAOS_CLIENT_TIMING, CHAOS_RUNTIME, postFigures } from './demo-chaos.ts'

export type { DemoSummary } from './demo-types.ts'

export interface DemoOptions {
  cfg: CascadeConfig
  /** Print progress lines and the final tree (off for --json runs' progress goes to stderr). */
  out: (line: string) => void
  seed?: number
  /** The mock puppet (default), or the simulated web-WeChat server with the real client. */
  world?: DemoWorldKind
  /** Share of villagers who acknowledge. */
  ackRate?: number
  /** Curators answer after 0.3 s … this many ms. */
  maxCuratorDelayMs?: number
  timeoutMs?: number
  /** --chaos (web-WeChat world only): this share of calls meets a random fault once every account is in (seeded by `seed`). */
  chaos?: number
}


export const DEMO_TEXT = '【疫情防控】自今晚20时起，全区暂停一切聚集性活动，红白喜事一律从简、暂缓操办；外地返乡人员请在到达后24小时内向所在村（社区）报备，并配合做好14天健康监测。请各位乡亲相互转告，不信谣、不传谣。'
const EDIT_SUFFIX = '（中子镇补充：镇卫生院24小时咨询电话 0839-8620120）'
const REJECT_REASON = '本村为无人居住的搬迁安置点，群内已无常住户，无需转发'
const ACK_WORDS = ['收到', '收到', '收到', '已收到', '收到了', '好的收到', '1', '👌', '收到！', '收到，马上转告家里人']
const NOT_ACKS = ['收到没？', '你们收到了吗', '我家那边信号不好，通知都收不到', '今晚几点开始？', '好的，我明天去镇上买点菜']

export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const { cfg, out } = opts
  const started = Date.now()
  const random = seeded(opts.seed ?? 2020)
  const redis = await ensureRedis()
  await requireRedis(redis.url) // a REDIS_URL that answers nothing: one sentence, not a hang
  // Its own namespace, never an operator's (CASCADE_NS is not read): removed at the end, on
  // Ctrl+C, and every key carries a TTL meanwhile.
  const ns = `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  out(`Redis：${redis.private ? `临时启动的 redis-server（${redis.url}）` : redis.url}，键空间 {${ns}}（结束或按 Ctrl+C 时删除，每个键都有 1 小时的过期时间）`)
  const kind = opts.world ?? 'mock'
  const district = await startDemoDistrict(kind, {
    cfg: demoSpeed(cfg), redisUrl: redis.url, ns, world: { seed: opts.seed ?? 2020 },
    // The simulation has no WeChat to anger: it paces far faster than a real account may.
    pacing: { perMinute: 6000, jitterMs: 20 },
    log: process.env.LOG_LEVEL ? createLogger({}) : silentLogger,
    // Under chaos a send that hangs or fails after delivery is settled in seconds, not minutes.
    ...(opts.chaos ? { runtime: CHAOS_RUNTIME, clientTiming: CHAOS_CLIENT_TIMING } : {}),
  })
  if (opts.chaos) {
    if (!district.chaos) throw new Error('--chaos needs the web-WeChat world (--webwx)')
    district.chaos({ rate: opts.chaos, seed: opts.seed ?? 2020 })
  }
  const { world, app } = district
  const expiring = keepKeysExpiring(app.store.redis, `${app.store.keys.base}*`)
  await expiring.sweep()
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => { timers.delete(t); fn() }, ms)
    timers.add(t)
  }
  const ending = endOnceAndOnSignal({
    ns, out, stop: () => { expiring.stop(); for (const t of timers) clearTimeout(t) },
    close: () => district.close(), clearNamespace: () => app.store.clearNamespace(), stopRedis: () => redis.stop(),
  })
  try {
    out(`模拟区县：${cfg.nodes.size} 个单位，${world.groups.size} 个群，${cfg.bots.size} 个机器人账号`)
    if (kind === 'webwx') out(`机器人用真实的微信客户端库（wechaty-puppet-wechat4u）扫码登录模拟的网页微信服务器，收发都走 HTTP`)
    await district.bindEveryone()
    out(`${cfg.people.size} 位工作人员已用邀请码绑定身份`)

    // The plan: one township edits, one village rejects, everyone else approves.
    const townships = [...cfg.nodes.values()].filter(n => n.level === 'township')
    const villages = [...cfg.nodes.values()].filter(n => n.level === 'village')
    const editor = townships[0]?.id
    const rejecter = villages[villages.length - 1]?.id
    const maxDelay = opts.maxCuratorDelayMs ?? 1500
    let nonAcks = 0

    world.onMessage((m: WorldMessage) => {
      if (!district.isBot(m.from)) return
      const staff = m.to === undefined ? undefined : district.personOf(m.to)
      if (staff) actAsStaff(m, staff, district, later, random)
      const code = /编号 ([A-Z0-9]{4})/.exec(m.text)?.[1]
      if (!code) return
      if (m.to && m.text.startsWith('【待审核】')) {
        // A curator reads the approval request and answers after a while.
        const person = staff
        const node = person && app.approvesFor(person).find(n => cfg.nodes.get(n)?.curators.includes(person))
        const bot = person && district.homeBot(person)
        if (!node || !bot) return
        const reply = node === editor ? `修改 ${code} ${extractText(m.text)}${EDIT_SUFFIX}`
          : node === rejecter ? `驳回 ${code} ${REJECT_REASON}`
          : `通过 ${code}`
        later(300 + random() * maxDelay, () => world.sayToBot(m.to!, bot, reply))
      } else if (m.room) {
        // Villagers in the group read the post; most answer 收到, some chat.
        const ackRate = opts.ackRate ?? 0.8
        for (const v of world.villagersOf(m.room)) {
          const r = random()
          const topic = m.room
          if (r < ackRate) later(200 + random() * 2500, () => world.sayInGroup(v, topic, ACK_WORDS[Math.floor(random() * ACK_WORDS.length)]))
          else if (r < ackRate + 0.04) {
            nonAcks++
            later(200 + random() * 2500, () => world.sayInGroup(v, topic, NOT_ACKS[Math.floor(random() * NOT_ACKS.length)]))
          }
          // A few answer twice: still one acknowledgment.
          if (r < 0.05) later(3000 + random() * 500, () => world.sayInGroup(v, topic, '收到'))
        }
      }
    })

    const publisher = [...cfg.nodes.get(cfg.rootId)!.publishers][0]
    if (!publisher) throw new Error(`the district node "${cfg.rootId}" has no publisher in config/network.yaml`)
    const publisherBot = district.homeBot(publisher)
    if (!publisherBot) throw new Error(`no bot account serves the district node "${cfg.rootId}"`)
    const publishedAt = Date.now()
    world.sayToBot(district.contactOf(publisher), publisherBot, `发布 ${DEMO_TEXT}`)
    out(`${cfg.people.get(publisher)?.name}（发布员）在私聊中发布了一条紧急通知`)

    // Wait for the code, then watch until every relay is decided, every post confirmed and acks settle.
    let code: string | undefined
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000)
    let lastAcks = -1
    let stableSince = 0
    let lastProgress = ''
    while (Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500))
      code ??= (await app.store.recentCodes(1))[0]
      if (!code) continue
      const s = await app.statusTree(code)
      const t = totals(s?.root)
      // A line only when something changed: the same figures again say nothing new.
      const progress = `单位 ${t.nodesReached}/${cfg.nodes.size}（待审核 ${t.relays.pending}）· 群 已发 ${t.groups.sent}/${t.groups.total} 确认 ${t.groups.confirmed} · 收到 ${t.acks}/${t.members} 人`
      if (progress !== lastProgress) out(`[${((Date.now() - publishedAt) / 1000).toFixed(1)}s] ${progress}`)
      lastProgress = progress
      // Done when nothing more can happen: every relay decided and every post confirmed, or
      // (something stuck — it shows in the tree) no simulated person has anything left to say.
      const settled = t.relays.pending === 0 && t.groups.queued === 0 && t.groups.sent === t.groups.confirmed
      if ((settled || timers.size === 0) && t.acks === lastAcks && timers.size === 0) {
        stableSince ||= Date.now()
        if (Date.now() - stableSince > (settled ? 600 : 3000)) break
      } else stableSince = 0
      lastAcks = t.acks
    }
    if (!code) throw new Error('the publisher got no announcement code back')
    await district.idle()
    const act2 = await secondAct(district, out)
    // Grid workers get their lists at the (demo-speed) deadline after the last village post.
    const lastPost = Math.max(0, ...(await app.store.deliveries(code)).map(x => x.sentAt ?? 0))
    const followUpsDue = lastPost + DEMO_ACK_DEADLINE_MIN * 60_000 + 1500
    if (cfg.households && Date.now() < followUpsDue) {
      out('等待回复时限：网格员将收到各自网格未回复“收到”的户名单……')
      await new Promise(r => setTimeout(r, followUpsDue - Date.now()))
    }
    while (timers.size) await new Promise(r => setTimeout(r, 100))
    await district.idle()

    const status = await app.statusTree(code)
    const t = totals(status?.root)
    out('')
    out((await app.statusText(code)) ?? '')
    const deliveries = await app.store.deliveries(code)
    const villageTopics = new Set(deliveries.filter(d => cfg.nodes.get(d.node)?.level === 'village').map(d => d.topic))
    const reachedAt = (filter: (topic: string) => boolean) => {
      const times = deliveries.filter(d => filter(d.topic)).map(d => d.confirmedAt ?? d.sentAt).filter((x): x is number => x !== undefined)
      return times.length ? Math.max(...times) - status!.announcement.createdAt : null
    }
    const posts = postFigures(world, code)
    const summary: DemoSummary = {
      code,
      groups_total: t.groups.total,
      groups_delivered: t.groups.sent,
      groups_confirmed: t.groups.confirmed,
      groups_failed: t.groups.failed,
      duplicate_posts: posts.duplicate_posts,
      resent_posts: posts.resent_posts,
      ...district.faultFigures?.(),
      members_total: t.members,
      acks: t.acks,
      non_ack_chat: nonAcks,
      relays: countRelays(status?.root),
      publish_to_last_group_ms: reachedAt(() => true),
      publish_to_last_village_group_ms: reachedAt(topic => villageTopics.has(topic)),
      approval_wait_ms: approvalWaits(cfg, await app.store.relays(code)),
      ...act2,
      ...await householdFigures(district, code),
      elapsed_ms: Date.now() - started,
      redis: redis.private ? 'private redis-server' : redis.url,
    }
    out('')
    out(`小结：通知 ${code} 到达 ${t.nodesReached} 个单位（通过 ${summary.relays.approved ?? 0}，修改后转发 ${summary.relays.edited ?? 0}，驳回 ${summary.relays.rejected ?? 0}，待审核 ${summary.relays.pending ?? 0}）；` +
      `${summary.groups_total} 个群中已发 ${summary.groups_delivered}、确认 ${summary.groups_confirmed}、重复 ${summary.duplicate_posts}；` +
      `${summary.members_total} 位群成员中 ${summary.acks} 人回复收到（另有 ${nonAcks} 条闲聊/提问未计入）；` +
      `从发布到最后一个村群 ${fmtMs(summary.publish_to_last_village_group_ms)}（其中含审核员的模拟思考时间）。`)
    out(`到户：${summary.households_total} 户中 ${summary.households_acked} 户有人回复收到，网格员收到 ${summary.grid_followups} 份未覆盖户清单后又电话/上门告知 ${summary.households_notified} 户；` +
      `辟谣回复 ${summary.rumor_replies} 次；求助事项 ${summary.cases_opened} 件，已办结 ${summary.cases_closed} 件。`)
    out(`审核等待：${Object.entries(summary.approval_wait_ms).map(([tier, w]) => `${tier === 'township' ? '乡镇' : '村'}级 ${w.n} 次，中位 ${fmtMs(w.p50)}，95% ${fmtMs(w.p95)}`).join('；')}`)
    return summary
  } catch (err) {
    // A run that breaks under chaos still says what the server did to it.
    if (opts.chaos && district.faultFigures) out(`故障注入与登出：${JSON.stringify(district.faultFigures())}`)
    throw err
  } finally {
    await ending.end()
  }
}

/** p50/p95 of decidedAt − openedAt per tier, for relays decided by a person or a policy. */
function approvalWaits(cfg: CascadeConfig, relays: Map<string, Relay>): DemoSummary['approval_wait_ms'] {
  const byTier = new Map<string, number[]>()
  for (const r of relays.values()) {
    if (!r.parent || r.decidedAt === undefined) continue
    const tier = cfg.nodes.get(r.node)?.level ?? 'unknown'
    byTier.set(tier, [...(byTier.get(tier) ?? []), r.decidedAt - r.openedAt])
  }
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]
  return Object.fromEntries([...byTier].map(([tier, xs]) => {
    xs.sort((a, b) => a - b)
    return [tier, { n: xs.length, p50: pct(xs, 0.5), p95: pct(xs, 0.95) }]
  }))
}

function countRelays(root: StatusNode | undefined): Record<string, number> {
  const r = totals(root).relays
  return Object.fromEntries(Object.entries(r).filter(([, n]) => n > 0))
}

function fmtMs(ms: number | null): string {
  return ms === null ? '—' : `${(ms / 1000).toFixed(1)} 秒`
}

/** The announcement text inside an approval request (between the first blank lines). */
function extractText(request: string): string {
  return request.split('\n\n')[1] ?? ''
}

/** Timers at demo speed: grid workers get their lists of missing households seconds after the post. */
const DEMO_ACK_DEADLINE_MIN = 0.12

function demoSpeed(cfg: CascadeConfig): CascadeConfig {
  if (!cfg.households) return cfg
  return { ...cfg, households: { ...cfg.households, deadlines: { urgent: DEMO_ACK_DEADLINE_MIN, normal: DEMO_ACK_DEADLINE_MIN } } }
}

/**
 * Simulated staff beyond approvals: curators and grid workers take and close help requests,
 * grid workers phone the first household on their list of those not reached.
 */
function actAsStaff(m: WorldMessage, person: string, district: DemoDistrict, later: (ms: number, fn: () => void) => void, random: () => number): void {
  const bot = district.homeBot(person)
  if (!bot) return
  const say = (text: string) => later(300 + random() * 700, () => district.world.sayToBot(m.to!, bot, text))
  const caseCode = /^【(?:求助|举报)待接单】事项 (C[A-Z0-9]{5}|C[A-Z0-9]{3})/.exec(m.text)?.[1]
  if (caseCode && district.app.cfg.nodes.get(district.app.approvesFor(person)[0] ?? '')?.level === 'village') {
    say(`接单 ${caseCode}`)
    later(1500, () => district.world.sayToBot(m.to!, bot, `办结 ${caseCode} 已联系县城母婴店，六罐奶粉明天一早送到家中`))
    return
  }
  const missing = /^【未覆盖户】[\s\S]*?：\n(.+)\n/.exec(m.text)?.[1]
  if (missing) say(`已通知 ${missing.split(/、| 等 /)[0]}`)
}

/**
 * The second act: a forwarded rumor in a village group gets the official rebuttal, and a
 * villager's help request becomes a case that the village takes and closes.
 */
async function secondAct(district: DemoDistrict, out: (line: string) => void): Promise<Pick<DemoSummary, 'rumor_replies' | 'cases_opened' | 'cases_closed'>> {
  const { world, app } = district
  const village = [...app.cfg.nodes.values()].find(n => n.level === 'village' && n.groups.some(g => g.kind === 'public'))!
  const topic = village.groups.find(g => g.kind === 'public')!.topic
  const [villager, mother] = world.villagersOf(topic)
  const rumor = (await loadRumorLibrary(path.join(app.cfg.configDir, 'rumors.yaml')).catch(() => []))[0]
  let rumorReplies = 0
  if (rumor) {
    const before = world.transcript.length
    world.sayInGroup(villager, topic, `【转发】${rumor.examples[0] ?? rumor.claim}，紧急扩散！`)
    const reply = await waitUntil(() => world.transcript.slice(before).find(x => x.room === topic && district.isBot(x.from) && x.text.includes(rumor.rebuttal.slice(0, 12))))
    if (reply) {
      rumorReplies++
      // The rebuttal's first whole sentence (the reply's first line is a heading with a cut quote).
      out(`${topic}里有人转发谣言“${rumor.claim}”，机器人回复了官方辟谣：${firstSentence(reply.text.split('\n')[1] ?? reply.text)}`)
    }
  }
  const bot = app.router.botsServing(village.id)[0]
  world.sayInGroup(mother, topic, '大家好，我家孩子只能喝一种特殊奶粉，镇上买不到了') // a member is seen in the group
  await district.idle()
  world.sayToBot(mother, bot, '求助 孩子只能喝一种特殊奶粉，镇上买不到了，家里只剩两天的量')
  out(`${world.names.get(mother)}私聊机器人求助（特殊奶粉），${village.name}的工作人员接单、办结`)
  const closed = await waitUntil(() => world.dmsTo(mother).find(x => x.text.includes('已办结')), 15_000)
  const cases = (await casesOf(app)?.store.all()) ?? []
  if (closed) out(`${world.names.get(mother)}收到：${closed.text.split('\n')[0]}`)
  return { rumor_replies: rumorReplies, cases_opened: cases.length, cases_closed: cases.filter(c => c.state === 'closed').length }
}

/** Household coverage of the announcement (when the config has households) and grid follow-ups. */
async function householdFigures(district: DemoDistrict, code: string): Promise<Pick<DemoSummary, 'households_total' | 'households_acked' | 'households_notified' | 'grid_followups'>> {
  const tree = await coverageOf(district.app)?.tree(code)
  const followups = district.world.transcript.filter(m => m.to !== undefined && district.personOf(m.to) !== undefined && m.text.startsWith('【未覆盖户】') && m.text.includes(code)).length
  return { households_total: tree?.counts.households ?? 0, households_acked: tree?.counts.acked ?? 0, households_notified: tree?.counts.notified ?? 0, grid_followups: followups }
}

/** The first sentence of a text, whole (to its 。！？ or the end of the line). */
export function firstSentence(text: string): string {
  const line = text.trim().split('\n')[0]
  const end = /[。！？!?]/.exec(line)
  return end ? line.slice(0, end.index + 1) : line
}

async function waitUntil<T>(fn: () => T | undefined, timeoutMs = 10_000): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v || Date.now() > deadline) return v
    await new Promise(r => setTimeout(r, 50))
  }
}
