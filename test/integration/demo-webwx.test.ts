/**
 * `cascade demo --webwx`: the demo district over the simulated web-WeChat server with the real
 * client library, run as the CLI runs it (bin/cascade.mjs in a process of its own), checked by
 * its JSON summary as test/integration/demo.test.ts checks the mock demo.
 */
import { execFile } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import type { DemoSummary } from '../../src/sim/demo.ts'
import { ROOT } from '../helpers.ts'
import { expectDemoSummary } from './demo-checks.ts'

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

    await expectDemoSummary(s)
    expect(run.stderr).toContain('小结：')
  }, 180_000)

  it('with --chaos (5 % of calls fail at random, fixed seed): every group confirmed, no unmarked double, at most one 补发 per group, no logout', async () => {
    const run = await cascade(['demo', '--webwx', '--chaos', '0.05', '--seed', '7', '--json'])
    expect(run.code, run.stderr.slice(-2000)).toBe(0)
    const s = JSON.parse(run.stdout.trim().split('\n').pop()!) as DemoSummary & { faults_injected: Record<string, number>; resent_posts: number; logouts: number }
    // Faults did happen (else this run would prove nothing).
    expect(Object.values(s.faults_injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(5)
    expect(s.groups_confirmed).toBe(s.groups_total)
    expect(s.groups_failed).toBe(0)
    expect(s.duplicate_posts).toBe(0)
    expect(s.resent_posts).toBeLessThanOrEqual(s.groups_total)
    expect(s.logouts).toBe(0)
  }, 180_000)
})
