/**
 * The fan-out planner on real queues: posts spread over the accounts sitting in the groups,
 * a logged-out account is passed over, urgent posts overtake routine ones, and no account
 * sends faster than its pacing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { PRIORITY } from '../../src/queue/outbox.ts'
import { botContactId } from '../../src/sim/world.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { postsByBot, publicTopics as topicsOf, startDistrict, waitFor } from '../helpers.ts'
import { startRuntime } from './ops-helpers.ts'

let d: SimDistrict | undefined
afterEach(async () => { await d?.close(); d = undefined })

const YANGMU = ['yangmu-qinggang', 'yangmu-shimen', 'yangmu-heping'] // villages bot-north and bot-south both sit in
function publicTopics(node: string): string[] { return topicsOf(d!, node) }

describe('fan-out over accounts', () => {
  it('spreads a node\'s posts over the accounts in its groups, and passes over a logged-out one', async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'yangmu-qinggang', author: CLI_AUTHOR, text: '测试：两个值守号分担发送' })
    const byBot = (await d.store.deliveries(a.code)).map(x => x.bot).sort()
    expect(byBot).toEqual(['bot-north', 'bot-south']) // two groups, one each, whatever the backlogs were

    await d.stopBot('bot-north') // logged out: its heartbeat is gone
    const b = await d.app.publish({ node: 'yangmu-qinggang', author: CLI_AUTHOR, text: '测试：北片值守号下线' })
    expect((await d.store.deliveries(b.code)).map(x => x.bot)).toEqual(['bot-south', 'bot-south'])
    await d.idle()
    for (const topic of publicTopics('yangmu-qinggang')) expect(d.world.postsIn(topic, b.code)).toHaveLength(1)
  })

  it('reads an account\'s load from its outbox: all sends, and those that go before an urgent post', async () => {
    d = await startDistrict()
    await d.stopBot('bot-south') // its outbox keeps what is added
    const add = (n: number, priority: number) => d!.outboxes.enqueue('bot-south', { idem: `load-${priority}-${n}`, target: { kind: 'group', topic: '青杠村村民群' }, text: `负载 ${n}` }, priority)
    for (let i = 0; i < 3; i++) await add(i, PRIORITY.normal)
    await add(0, PRIORITY.info)
    await add(0, PRIORITY.urgent)
    await add(0, PRIORITY.approval)
    expect(await d.outboxes.load('bot-south')).toEqual({ backlog: 6, urgentBacklog: 2 })
    // bot-north, logged in and idle, gets both posts of a routine notice; bot-south is logged out anyway.
    const plan = await d.app.router.planPosts('yangmu-qinggang', publicTopics('yangmu-qinggang'))
    plan.release()
    expect([...plan.bots.values()]).toEqual(['bot-north', 'bot-north'])
  })

  it('plans made side by side see each other\'s posts until those are queued', async () => {
    d = await startDistrict()
    const router = d.app.router
    const first = await router.planPosts('yangmu-qinggang', ['t1', 't2', 't3'])
    expect([...first.bots.values()]).toEqual(['bot-north', 'bot-south', 'bot-north'])
    // Nothing is queued yet, but the first plan holds two posts on bot-north and one on bot-south.
    const second = await router.planPosts('yangmu-shimen', ['u1'])
    expect(second.bots.get('u1')).toBe('bot-south')
    // Once bot-north's two posts are queued (done), bot-south holds the most.
    first.done('t1')
    first.done('t3')
    const third = await router.planPosts('yangmu-shimen', ['w1'])
    expect(third.bots.get('w1')).toBe('bot-north')
    for (const p of [first, second, third]) p.release()
    second.release() // twice is harmless
    expect((await router.planPosts('yangmu-heping', ['v1'])).bots.get('v1')).toBe('bot-north')
  })

  it('sends urgent posts before routine ones already waiting, evenly spaced at the account\'s pace', async () => {
    d = await startDistrict({ pacing: { perMinute: 600, jitterMs: 0 } }) // one send per 100 ms
    await d.stopBot('bot-north')
    const topics = YANGMU.flatMap(publicTopics)
    for (const [i, topic] of topics.entries()) {
      await d.outboxes.enqueue('bot-north', { idem: `routine-${i}`, target: { kind: 'group', topic }, text: `例行通知 ${i}` }, PRIORITY.normal)
    }
    await d.outboxes.enqueue('bot-north', { idem: 'urgent-0', target: { kind: 'group', topic: topics[0] }, text: '紧急通知 0' }, PRIORITY.urgent)
    await d.startBot('bot-north')
    await d.idle()
    const sent = d.world.transcript.filter(m => m.from === botContactId('bot-north') && /例行通知|紧急通知/.test(m.text))
    expect(sent).toHaveLength(topics.length + 1)
    expect(sent[0].text).toBe('紧急通知 0')
    // The limiter starts sends 100 ms apart; a message lands when its say() ends, which a busy
    // machine delays by a varying amount, so one gap may look short when the send before it landed
    // late. Over the whole run the late landings cancel out but for the first one: n sends span at
    // least (n - 1) × 100 ms less the first's delay. Half of that is the bound here; without pacing
    // they land ~1 ms apart (a span of a few ms).
    const span = sent[sent.length - 1].at - sent[0].at
    expect(span, 'first to last send').toBeGreaterThanOrEqual((sent.length - 1) * 50)
  })

  it('an urgent notice published while routine posts queue reaches its groups first', async () => {
    d = await startDistrict({ pacing: { perMinute: 300, jitterMs: 0 } }) // one send per 200 ms
    const routine = []
    for (const node of YANGMU) routine.push((await d.app.publish({ node, author: CLI_AUTHOR, text: `测试：例行 ${node}`, severity: 'normal' })).code)
    const urgent = await d.app.publish({ node: 'yangmu-heping', author: CLI_AUTHOR, text: '测试：紧急', severity: 'urgent' })
    await waitFor('the urgent notice in every group of 和平村', async () =>
      (await d!.store.deliveries(urgent.code)).every(x => x.state === 'sent' || x.state === 'confirmed'))
    const routineQueued = (await Promise.all(routine.map(c => d!.store.deliveries(c)))).flat().filter(x => x.state === 'queued')
    expect(routineQueued.length).toBeGreaterThan(0) // it overtook them
    await d.idle()
  })

  it('an account whose outbox runs dry takes over half of a busier one\'s waiting posts in the groups they share, each posted once', async () => {
    d = await startDistrict()
    await d.stopBot('bot-south') // the plan puts every yangmu village post on bot-north
    await startRuntime(d, 'bot-north', { pacing: { perMinute: 20, jitterMs: 0 } }) // one send per 3 s
    const codes = []
    for (const node of YANGMU) codes.push((await d.app.publish({ node, author: CLI_AUTHOR, text: `测试：接手 ${node}`, severity: 'normal' })).code)
    const topics = YANGMU.flatMap(publicTopics)
    expect(await d.outboxes.backlog('bot-north')).toBeGreaterThanOrEqual(topics.length - 1)
    await d.startBot('bot-south') // starts idle: takes over what would go out last
    await waitFor('bot-south taking over', async () => (await d!.outboxes.backlog('bot-south')) > 0 || d!.world.transcript.some(m => m.from === botContactId('bot-south') && m.text.includes('接手')))
    await d.idle(30_000)
    const byBot = await postsByBot(d, YANGMU, codes, async (post, code, topic) => {
      expect((await d!.store.delivery(code, topic))?.bot).toBe(post.from.replace('wxid_bot_', ''))
    })
    expect(byBot.get(botContactId('bot-south'))).toBeGreaterThanOrEqual(2)
    expect(byBot.get(botContactId('bot-north'))).toBeGreaterThanOrEqual(2)
  })
})
