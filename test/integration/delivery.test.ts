/**
 * Sends are idempotent and survive a restart; acknowledgments count each member once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { idPart } from '../../src/queue/outbox.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

/** Approves every pending relay, tier by tier, until none is left. */
async function approveAll(code: string): Promise<void> {
  const a = (await d.store.announcement(code))!
  for (let round = 0; round < 3; round++) {
    for (const [node, r] of await d.store.relays(code)) {
      if (r.state === 'pending') await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
    }
  }
}

function allPublicTopics(): string[] {
  return [...d.cfg.nodes.values()].flatMap(n => n.groups.filter(g => g.kind === 'public').map(g => g.topic))
}

describe('sends', () => {
  it('posts once when a send job runs twice, as after a stalled worker', async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：同一条发送任务执行两次' })
    const topic = d.cfg.nodes.get('chaotian')!.groups.find(g => g.kind === 'public')!.topic
    await d.idle()
    expect(d.world.postsIn(topic, a.code)).toHaveLength(1)
    // The same send again under another job id: BullMQ sees a new job, the claim stops it.
    const delivery = (await d.store.delivery(a.code, topic))!
    const job = { idem: `${a.code}-v1-${idPart(topic)}`, target: { kind: 'group' as const, topic }, text: d.app.postText(a, a.text), delivery: { code: a.code, topic } }
    await d.outboxes.queue(delivery.bot).add('send', job, { jobId: 'rerun-of-the-same-send' })
    await d.outboxes.queue(delivery.bot).add('send', job, { jobId: 'and-once-more' })
    await d.idle()
    expect(d.world.postsIn(topic, a.code)).toHaveLength(1)
    expect((await d.store.delivery(a.code, topic))?.state).toBe('confirmed')
  })

  it('leaves every group with exactly one post when a bot process is replaced mid fan-out', async () => {
    // Slow pacing (4 sends per second per account) so the fan-out is still running when we stop.
    d = await startDistrict({ pacing: { perMinute: 240, jitterMs: 0 } })
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：发送中途重启值守号' })
    await approveAll(a.code)
    const before = (await d.outboxes.backlog('bot-north'))
    expect(before).toBeGreaterThan(3)
    await waitFor('bot-north to have sent some', async () => (await d.outboxes.backlog('bot-north')) < before - 1)
    await d.stopBot('bot-north') // as SIGTERM: the send in flight finishes, the rest waits in Redis
    const left = await d.outboxes.backlog('bot-north')
    expect(left).toBeGreaterThan(0)
    await d.startBot('bot-north') // a new process, a new login
    await d.idle(60_000)
    const topics = allPublicTopics()
    for (const topic of topics) expect(d.world.postsIn(topic, a.code), topic).toHaveLength(1)
    const deliveries = await d.store.deliveries(a.code)
    expect(deliveries).toHaveLength(topics.length)
    expect(deliveries.every(x => x.state === 'confirmed')).toBe(true)
  })
})

describe('acknowledgments', () => {
  it('counts each member once and ignores questions and chat', async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：请回复收到' })
    const topic = d.cfg.nodes.get('chaotian')!.groups.find(g => g.kind === 'public')!.topic
    await d.idle()
    const [v1, v2, v3, v4] = d.world.villagersOf(topic)
    d.world.sayInGroup(v1, topic, '收到')
    d.world.sayInGroup(v1, topic, '收到了')
    d.world.sayInGroup(v1, topic, '已收到')
    d.world.sayInGroup(v2, topic, '收到没有？')
    d.world.sayInGroup(v3, topic, '我刚收到快递了，谁家的')
    d.world.sayInGroup(v4, topic, '👌')
    await waitFor('two acknowledgments', async () => (await d.store.ackCounts(a.code)).get(topic) === 2)
    await new Promise(r => setTimeout(r, 200))
    const acks = await d.store.acks(a.code)
    expect([...acks.keys()].sort()).toEqual([v1, v4].sort())
    const s = await d.app.statusTree(a.code)
    expect(s!.root).toMatchObject({ acks: 2, members: d.world.groups.get(topic)!.members.length })
  })

  it('credits an acknowledgment naming a code to that notice, not the latest', async () => {
    d = await startDistrict()
    const first = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '第一条通知' })
    await d.idle()
    const second = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '第二条通知' })
    await d.idle()
    const topic = d.cfg.nodes.get('chaotian')!.groups.find(g => g.kind === 'public')!.topic
    const [v1, v2] = d.world.villagersOf(topic)
    d.world.sayInGroup(v1, topic, `收到${first.code}`)
    d.world.sayInGroup(v2, topic, '收到')
    await waitFor('both acknowledgments', async () => (await d.store.acks(first.code)).size + (await d.store.acks(second.code)).size === 2)
    expect([...(await d.store.acks(first.code)).keys()]).toEqual([v1])
    expect([...(await d.store.acks(second.code)).keys()]).toEqual([v2])
  })
})
