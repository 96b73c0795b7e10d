/**
 * A bot process that dies sends no logout: its heartbeat lapses, and a live account sitting in
 * the same groups takes its waiting posts (each posted once), and ops are told once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { publicTopics, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

describe('an account whose process died', () => {
  it("has its waiting posts taken by a live peer in the same groups, each posted once; ops told once", async () => {
    d = await startDistrict()
    // Only bot-south is up (and slow) while notices for the villages it shares with bot-north come.
    await d.stopBot('bot-north')
    await d.stopBot('bot-south')
    await d.startBot('bot-south', true, { pacing: { perMinute: 30, jitterMs: 0 } })
    const nodes = ['yangmu-qinggang', 'yangmu-shimen', 'yangmu-heping']
    const codes: string[] = []
    for (const node of nodes) codes.push((await d.app.publish({ node, author: CLI_AUTHOR, text: '测试：值守号进程退出后由同群值守号接手' })).code)
    await waitFor('bot-south holding posts', async () => await d.outboxes.backlog('bot-south') >= 2)
    // Its process goes away without a WeChat logout (so no failover runs): only its heartbeat stops.
    await d.stopBot('bot-south')
    expect(await d.outboxes.backlog('bot-south')).toBeGreaterThan(0)
    await d.startBot('bot-north', true, { heartbeatSeconds: 1 })
    await waitFor('bot-south emptied by the rescue', async () => await d.outboxes.backlog('bot-south') === 0, 15_000)
    await d.idle()
    for (const [i, code] of codes.entries()) {
      for (const t of publicTopics(d, nodes[i])) expect(d.world.postsIn(t, code), t).toHaveLength(1)
    }
    const ops = d.cfg.nodes.get(d.cfg.rootId)!.groups.find(g => g.kind === 'staff')!.topic
    await waitFor('ops told', () => d.world.postsIn(ops, '没有心跳').length > 0)
    await new Promise(r => setTimeout(r, 1000))
    expect(d.world.postsIn(ops, '没有心跳')).toHaveLength(1)
  })
})
