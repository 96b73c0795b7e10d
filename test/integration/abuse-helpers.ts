/** Shared by the abuse tests (issue 13): a notice published after the attack, and how it went out. */
import { expect } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { idPart, PRIORITY } from '../../src/queue/outbox.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { publicTopics, waitFor } from '../helpers.ts'

/**
 * Publishes an urgent notice at `node` (from the command line) and checks that it reaches each
 * public group of the node once, sent with the urgent priority. Returns its code.
 */
export async function urgentNoticeGoesOut(d: SimDistrict, node: string, text = '紧急通知：今晚八点起全村停水，请提前储水。', timeoutMs = 15_000): Promise<string> {
  const a = await d.app.publish({ node, author: CLI_AUTHOR, text, severity: 'urgent' })
  await urgentPostsOf(d, a.code, node, timeoutMs)
  return a.code
}

/** Checks that notice `code` reached each public group of `node` once, sent with the urgent priority. */
export async function urgentPostsOf(d: SimDistrict, code: string, node: string, timeoutMs = 15_000): Promise<void> {
  const a = (await d.store.announcement(code))!
  for (const topic of publicTopics(d, node)) {
    await waitFor(`the urgent notice in ${topic}`, () => d.world.postsIn(topic, code).length === 1, timeoutMs)
    const delivery = (await d.store.delivery(code, topic))!
    const job = await d.outboxes.queue(delivery.bot).getJob(`${code}-v${a.version}-${idPart(topic)}`)
    expect(job?.opts.priority, `priority of the post in ${topic}`).toBe(PRIORITY.urgent)
    expect(d.world.postsIn(topic, code)[0].text).toContain('【紧急通知】')
  }
}

/** Jobs of an account's outbox in a state, with their data and priority. */
export async function jobsIn(d: SimDistrict, bot: string, state: 'delayed' | 'completed' | 'waiting' | 'prioritized') {
  return (await d.outboxes.queue(bot).getJobs([state])).map(j => ({ ...j.data, priority: j.opts.priority }))
}
