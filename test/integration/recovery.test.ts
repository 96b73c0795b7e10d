/**
 * Recovery finishes what a crashed process left: a forward that did not run to the end, a post
 * whose send job was never added. Running it again (or beside the original work) posts nothing twice.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { publicTopics, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const LONG_AGO = 5 * 60_000

describe('recovery', () => {
  it('re-runs a forward a process died in (relay approved, nothing posted or opened), once', async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：审核通过后进程被杀，转发没有做' })
    await waitFor('中子镇 pending', async () => (await d.store.relay(a.code, 'zhongzi'))?.state === 'pending')
    // What a process killed right after the atomic pending → approved step leaves behind.
    await d.store.transitionRelay(a.code, 'zhongzi', ['pending'], { state: 'approved', decidedBy: 'li-hong', decidedAt: Date.now() - LONG_AGO, finalText: (await d.store.relay(a.code, 'zhongzi'))!.text })
    await d.idle()
    const township = publicTopics(d, 'zhongzi')
    for (const t of township) expect(d.world.postsIn(t, a.code), t).toHaveLength(0)
    expect((await d.app.recovery.pass()).forwards).toBe(1)
    expect((await d.app.recovery.pass()).forwards).toBe(0) // done is recorded: nothing twice
    await d.idle()
    for (const t of township) expect(d.world.postsIn(t, a.code), t).toHaveLength(1)
    for (const village of d.cfg.children.get('zhongzi')!) expect((await d.store.relay(a.code, village))?.state, village).toBe('pending')
    expect((await d.store.relay(a.code, 'zhongzi'))?.forwardedAt).toBeGreaterThan(0)
  })

  it('queues again a post whose send job was never added, once', async () => {
    d = await startDistrict()
    await d.stopBot('bot-district')
    const a = await d.app.publish({ node: 'zhongzi', author: CLI_AUTHOR, text: '测试：写了投递记录，任务没加上' })
    const topic = publicTopics(d, 'zhongzi')[0]
    const job = await waitFor('the job', async () => (await d.outboxes.queue('bot-district').getJobs(['waiting', 'prioritized'])).find(j => j.data.delivery?.topic === topic))
    // A crash between the delivery record and the job: the record is there, the job is not.
    await job.remove()
    await d.store.patchDelivery(a.code, topic, ['queued'], { queuedAt: Date.now() - LONG_AGO })
    const first = await d.app.recovery.pass()
    expect(first.requeued).toBe(1)
    expect((await d.app.recovery.pass()).requeued).toBe(0)
    await d.startBot('bot-district')
    await waitFor('the post', () => d.world.postsIn(topic, a.code).length > 0)
    await d.idle()
    expect(d.world.postsIn(topic, a.code)).toHaveLength(1)
  })

  it("confirms a post left `sent` by a process that died before its echo, from the echo kept in Redis", async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'zhongzi', author: CLI_AUTHOR, text: '测试：发出后进程被杀，回显在 Redis 里' })
    const topic = publicTopics(d, 'zhongzi')[0]
    await waitFor('confirmed', async () => (await d.store.delivery(a.code, topic))?.state === 'confirmed')
    // What the dead process left: the post recorded `sent`, its echo wait gone with it.
    await d.store.redis.hset(d.store.keys.deliveries(a.code), topic, JSON.stringify({ ...(await d.store.delivery(a.code, topic))!, state: 'sent', confirmedAt: undefined, sentAt: Date.now() - LONG_AGO }))
    await d.app.recovery.pass()
    expect((await d.store.delivery(a.code, topic))?.state).toBe('confirmed')
  })

  it('leaves work in progress alone (younger than a minute)', async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：刚刚通过，转发正在进行' })
    await waitFor('中子镇 pending', async () => (await d.store.relay(a.code, 'zhongzi'))?.state === 'pending')
    await d.store.transitionRelay(a.code, 'zhongzi', ['pending'], { state: 'approved', decidedBy: 'li-hong', decidedAt: Date.now() })
    expect(await d.app.recovery.pass()).toEqual({ forwards: 0, requeued: 0 })
  })
})
