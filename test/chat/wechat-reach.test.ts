/**
 * A wechat4u account that cannot reach WeChat (issue 14, item 17): one clear line when it starts,
 * one a minute while it lasts, none with a stack; its health record makes /readyz say so and why,
 * and WeChat answering again clears it.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { WechatReach } from '../../src/chat/wechat-reach.ts'
import { accountState, BotHealth } from '../../src/infra/bot-health.ts'
import type { Logger } from '../../src/infra/log.ts'
import { Store } from '../../src/store/store.ts'
import { REDIS_URL } from '../helpers.ts'

const redis = new Redis(REDIS_URL)
const store = new Store(redis, `test-reach-${Date.now().toString(36)}`)
afterAll(async () => {
  await store.clearNamespace()
  await redis.quit()
})

function recordingLog() {
  const lines: { level: string; event: string; fields: Record<string, unknown> }[] = []
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => { lines.push({ level, event, fields }) }
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log }
  return { log, lines }
}

/** What wechaty hands on: the client's error wrapped, its message kept. */
function dnsFailure(): Error {
  const e = new Error('getaddrinfo ENOTFOUND login.wx.qq.com')
  e.name = 'GError'
  return e
}

describe('an account that cannot reach WeChat', () => {
  it('says so once, then once a minute, and /readyz gives the state, since when and why', async () => {
    const { log, lines } = recordingLog()
    const health = new BotHealth(store)
    let now = 1_800_000_000_000
    const reach = new WechatReach({ bot: 'bot-x', log, health, now: () => now })
    const start = now
    // Three minutes of the client retrying: ~14 failures every 5 s, as wechat4u does.
    for (let t = 0; t < 180_000; t += 5_000) {
      now = start + t
      for (let i = 0; i < 14; i++) reach.onError(dnsFailure())
    }
    expect(lines.map(l => l.event)).toEqual(['wechat.unreachable', 'wechat.still-unreachable', 'wechat.still-unreachable'])
    expect(lines[0].fields.reason).toBe('getaddrinfo ENOTFOUND login.wx.qq.com')
    expect(lines[1].fields).toMatchObject({ minutes: 1, failures: 12 * 14 + 1 }) // the minute's failures, and the one that made the line
    expect(JSON.stringify(lines)).not.toContain('stack')

    await new Promise(r => setTimeout(r, 50)) // the record is written in the background
    const state = accountState(await health.read('bot-x', now), false)
    expect(state).toMatchObject({ state: 'cannot reach WeChat', since: start })
    expect(state.why).toMatch(/^cannot reach WeChat \(getaddrinfo ENOTFOUND login\.wx\.qq\.com\): check this process's network, DNS or proxy/)

    // WeChat answers (a QR code to scan): said once, and the record no longer says unreachable.
    reach.onReached()
    expect(lines.at(-1)).toMatchObject({ event: 'wechat.reachable' })
    await new Promise(r => setTimeout(r, 50))
    expect(accountState(await health.read('bot-x', now), false).state).not.toBe('cannot reach WeChat')
  })

  it('logs another client error with its stack once, its repeats within a minute as one counted line', () => {
    const { log, lines } = recordingLog()
    let now = 0
    const reach = new WechatReach({ bot: 'bot-y', log, health: new BotHealth(store), now: () => now })
    for (let i = 0; i < 20; i++) { now = i * 5_000; reach.onError(new Error('webwxsync answered retcode 1101')) }
    expect(lines.map(l => l.event)).toEqual(['wechaty.error', 'wechaty.error'])
    expect(lines[0].fields.err).toBeInstanceOf(Error)
    expect(lines[1].fields).toEqual({ reason: 'webwxsync answered retcode 1101', repeats: 11 })
  })
})
