/**
 * `cascade demo --webwx`: the demo district over the simulated web-WeChat server with the real
 * client library, run as the CLI runs it (bin/cascade.mjs in a process of its own), checked by
 * its JSON summary as test/integration/demo.test.ts checks the mock demo.
 */
import { execFile } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { DemoSummary } from '../../src/sim/demo.ts'
import { demoConfig, ROOT } from '../helpers.ts'

function cascade(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The demo's own quiet defaults: no LOG_LEVEL / WECHATY_LOG from the caller's shell.
  const { LOG_LEVEL: _l, WECHATY_LOG: _w, ...env } = process.env
  return new Promise(resolve => {
    execFile(process.execPath, ['bin/cascade.mjs', ...args], { cwd: ROOT, env, timeout: 150_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

describe('cascade demo --webwx', () => {
  it('relays to every approving village once over the real client, with the figures of its JSON summary', async () => {
    const run = await cascade(['demo', '--webwx', '--json'])
    expect(run.code, run.stderr.slice(-2000)).toBe(0)
    // stdout is the one JSON line; progress is on stderr, without the client library's own log lines.
    const lines = run.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(run.stderr).not.toMatch(/\b(WARN|ERR)\b/)
    expect(run.stderr).toContain('wechaty-puppet-wechat4u')
    const s = JSON.parse(lines[0]) as DemoSummary

    const cfg = await demoConfig()
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
    // The second act, and households placed by the villagers' names and group nicknames.
    expect(s).toMatchObject({ rumor_replies: 1, cases_opened: 1, cases_closed: 1 })
    expect(s.households_total).toBeGreaterThan(0)
    expect(s.households_acked).toBeGreaterThan(0)
    expect(s.grid_followups).toBeGreaterThan(0)
    expect(s.households_notified).toBeGreaterThan(0)
    expect(s.households_acked + s.households_notified).toBeLessThanOrEqual(s.households_total)
    expect(run.stderr).toContain('小结：')
  }, 180_000)
})
