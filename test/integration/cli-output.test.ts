/**
 * One-shot commands answer in plain sentences: no JSON log lines among the answer, and what
 * matters (curators nobody can ask yet) said once, after it. The real `cascade` command from
 * the TypeScript sources, on a real Redis in its own namespace.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { HumanLog } from '../../src/cli/human-log.ts'
import { clearTestNamespace, demoConfig, REDIS_URL, ROOT } from '../helpers.ts'

const NS = `test-cli-${Date.now().toString(36)}`
afterAll(async () => {
  await clearTestNamespace(NS)
})

describe('one-shot commands speak in sentences', () => {
  it('sums up unreachable curators per node: nobody at some, some people at others', async () => {
    const cfg = await demoConfig()
    const log = new HumanLog()
    const child = log.child({ cmd: 'cli' })
    for (const [node, person] of [['zhongzi', 'li-hong'], ['yangmu', 'sun-li'], ['zhongzi', 'li-hong']]) child.warn('approval.unreachable', { code: 'A7K2', node, person })
    log.info('announcement.published', { code: 'A7K2' })
    log.warn('something.odd', { code: 'A7K2', hint: 'look at it' })
    const lines = log.summary(cfg)
    expect(lines[0]).toBe('2 curators have not redeemed their invites yet (李红, 孙丽): nobody will be asked at 中子镇, 羊木镇. Give each an invite (cascade invite --person <id>); they are asked as soon as they redeem it.')
    expect(lines[1]).toBe('Note: something.odd (code A7K2) — look at it')
    expect(lines).toHaveLength(2)
  })

  it('publish prints the code, one sentence of what happens, and who cannot be asked — no JSON', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'cascade.mjs'), 'publish', '--node', 'chaotian', '--text', '测试：明早停水', '--severity', 'info'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CASCADE_FROM_SOURCE: '1', CASCADE_NS: NS, REDIS_URL, LOG_LEVEL: '' },
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout.trim()).toMatch(/^[A-Z0-9]{4}$/)
    const lines = r.stderr.trim().split('\n')
    expect(lines.some(l => l.trimStart().startsWith('{')), r.stderr).toBe(false)
    expect(lines[0]).toMatch(/^Published [A-Z0-9]{4} at 朝天区/)
    expect(lines[1]).toMatch(/^3 curators have not redeemed their invites yet \(.*\): nobody will be asked at 中子镇, 羊木镇, 曾家镇\./)
    expect(lines).toHaveLength(2)
  }, 30_000)

  it('publish --at a time gone by is refused, and nothing is published', async () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'cascade.mjs'), 'publish', '--node', 'chaotian', '--text', '测试：过去的时间', '--at', '2020-01-01 08:00'], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CASCADE_FROM_SOURCE: '1', CASCADE_NS: `${NS}-past`, REDIS_URL, LOG_LEVEL: '' },
    })
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^cascade publish: --at 2020-01-01 08:00 is in the past \(01\/01 08:00:00 Beijing time, now .*\); give a later time, or leave out --at to publish now/)
    const redis = new Redis(REDIS_URL)
    expect(await redis.zcard(`{${NS}-past}:anns`)).toBe(0)
    await redis.quit()
  }, 30_000)
})
