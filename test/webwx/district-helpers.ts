/**
 * The real client's scenario tests share these: the demo district's 中子镇 branch on the
 * simulated web-WeChat server (real Redis, BullMQ, wechaty, wechaty-puppet-wechat4u), and the
 * checks that a notice reached every group exactly once.
 */
import { afterEach, expect } from 'vitest'
import { readiness } from '../../src/web/api.ts'
import { createLogger } from '../../src/infra/log.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import { WebWxDistrict, type WebWxDistrictOptions } from '../../src/sim/webwx-district.ts'
import { demoConfig, REDIS_URL, waitFor } from '../helpers.ts'

/** Closes the district a test started, after it (call once at the top of a test file). */
export function closeDistrictsAfterEach(): { track(d: WebWxDistrict): WebWxDistrict } {
  const open: WebWxDistrict[] = []
  afterEach(async () => { for (const d of open.splice(0)) await d.close() })
  return { track: d => { open.push(d); return d } }
}

/** The demo district's 中子镇 branch (district, township, villages) on one or more accounts. */
export async function startDistrict(opts: Partial<WebWxDistrictOptions> & { bots?: string[] } = {}): Promise<WebWxDistrict> {
  const cfg = opts.cfg ?? await demoConfig()
  return WebWxDistrict.start({
    cfg, redisUrl: REDIS_URL, bots: ['bot-district'], pacing: { perMinute: 6000, jitterMs: 0 }, villagersPerGroup: 2,
    runtime: { contactsWaitMs: 10_000, groupMissingRetryMs: 500 },
    log: process.env.SCENARIO_LOG ? createLogger({}) : undefined,
    ...opts,
  })
}

/** Every node forwards at once, unreviewed: a notice fans out to every public group by itself. */
export function unreviewed(cfg: CascadeConfig): CascadeConfig {
  const defaults = Object.fromEntries(Object.entries(cfg.policies.defaults).map(([k, p]) => [k, { ...p, autoForwardAfter: 0 }])) as CascadeConfig['policies']['defaults']
  return { ...cfg, policies: { ...cfg.policies, defaults, nodes: new Map() } }
}

/** The public groups of the nodes some running account serves. */
export function servedTopics(d: WebWxDistrict): string[] {
  return [...d.cfg.nodes.values()]
    .filter(n => d.bots.some(b => d.cfg.bots.get(b)!.nodes.includes(n.id)))
    .flatMap(n => n.groups.filter(g => g.kind === 'public').map(g => g.topic))
}

/** Every served public group has the notice exactly once. */
export function expectOncePerGroup(d: WebWxDistrict, code: string): void {
  for (const topic of servedTopics(d)) expect(d.postsIn(topic, code), topic).toHaveLength(1)
}

export async function allPosted(d: WebWxDistrict, code: string, timeoutMs = 30_000): Promise<void> {
  const topics = servedTopics(d)
  await waitFor(`${code} in all ${topics.length} groups`, () => topics.every(t => d.postsIn(t, code).length >= 1), timeoutMs)
  await d.idle()
}

export function publicTopics(cfg: CascadeConfig, node: string): string[] {
  return cfg.nodes.get(node)!.groups.filter(g => g.kind === 'public').map(g => g.topic)
}

export function staffTopic(cfg: CascadeConfig, node: string): string {
  return cfg.nodes.get(node)!.groups.find(g => g.kind === 'staff')!.topic
}

/** 赵敏 publishes from chat; the notice's code. */
export async function publish(d: WebWxDistrict, text: string): Promise<string> {
  const reply = await d.dm('zhao-min', 'bot-district', `发布 ${text}`)
  const code = /编号 ([A-Z0-9]{4})/.exec(reply)?.[1]
  expect(code, reply).toBeTruthy()
  return code!
}

/** One account's entry in the readiness report (/readyz with the token). */
export async function readyOf(d: WebWxDistrict, bot: string): Promise<{ state: string; why: string | null; loggedIn: boolean; missingGroups: string[]; hints: string[]; barred: string | null; qrWaiting: boolean }> {
  return (await readiness(d.app)).bots.find(b => b.id === bot) as never
}
