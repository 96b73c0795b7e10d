/** What every demo run must show in its JSON summary, whichever WeChat it ran on. */
import { expect } from 'vitest'
import type { DemoSummary } from '../../src/sim/demo.ts'
import { demoConfig } from '../helpers.ts'

export async function expectDemoSummary(s: DemoSummary): Promise<void> {
  const cfg = await demoConfig()
  // The last village rejects: its groups get nothing; every other public group gets exactly one post.
  const nodes = [...cfg.nodes.values()]
  const rejecter = nodes.filter(n => n.level === 'village').at(-1)!
  const publicGroups = (ns: typeof nodes) => ns.flatMap(n => n.groups.filter(g => g.kind === 'public')).length
  expect(s.groups_total).toBe(publicGroups(nodes) - publicGroups([rejecter]))
  expect(s).toMatchObject({ groups_delivered: s.groups_total, groups_confirmed: s.groups_total, groups_failed: 0, duplicate_posts: 0 })
  expect(s.relays).toEqual({ approved: 12, edited: 1, rejected: 1 })
  expect(s.acks).toBeGreaterThan(0)
  expect(s.acks).toBeLessThan(s.members_total)
  expect(s.publish_to_last_village_group_ms).toBeGreaterThan(0)
  expect(Object.keys(s.approval_wait_ms).sort()).toEqual(['township', 'village'])
  // The second act: a rumor answered, a help request taken and closed, grid workers' follow-up of
  // the households (placed by the villagers' names and group nicknames).
  expect(s).toMatchObject({ rumor_replies: 1, cases_opened: 1, cases_closed: 1 })
  expect(s.households_total).toBeGreaterThan(0)
  expect(s.households_acked).toBeGreaterThan(0)
  expect(s.grid_followups).toBeGreaterThan(0)
  expect(s.households_notified).toBeGreaterThan(0)
  expect(s.households_acked + s.households_notified).toBeLessThanOrEqual(s.households_total)
}
