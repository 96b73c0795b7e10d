/**
 * Signing in as a person (issue 24), over plain HTTP against the demo district on the mock
 * puppet (the browser's side is test/browser/people.test.ts): the one-time code never lingers in
 * the outbox's job data or the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { startDistrict, waitFor } from '../helpers.ts'
import { FORM, preSession, recordingLogger, startHttp, type Running } from './http-helpers.ts'

const CURATOR = 'zhang-guiying' // 张桂英, curator of 西村

let d: SimDistrict
let run: Running
/** Every log line of the district's processes (the HTTP app's are in run.lines). */
const lines: string[] = []

beforeAll(async () => {
  d = await startDistrict({ log: recordingLogger(lines) })
  await d.bind(CURATOR)
  await waitFor('the curator bound', async () => Object.keys(await d.store.bindingsOf(CURATOR)).length > 0)
  run = await startHttp(d)
}, 60_000)

afterAll(async () => {
  await run?.close()
  await d?.close()
}, 30_000)

const dms = (person: string) => d.world.dmsTo(personContactId(person))

/** Asks for a code for `who` from a fresh sign-in form; the page's status and text. */
async function askCode(who: string): Promise<{ status: number; text: string; pre: { cookie: string; csrf: string } }> {
  const pre = await preSession(run.url)
  const res = await fetch(`${run.url}/cc/login/code`, { method: 'POST', headers: { ...FORM, cookie: pre.cookie }, body: new URLSearchParams({ _csrf: pre.csrf, who }) })
  return { status: res.status, text: await res.text(), pre }
}

describe('signing in as a person', () => {
  it('a one-time code is kept out of the outbox job and the logs, and is not sent once expired', async () => {
    const bot = d.homeBot(CURATOR)
    const queue = d.app.outboxes.queue(bot)
    const jobsText = async () => JSON.stringify((await queue.getJobs(['completed', 'failed', 'waiting', 'prioritized', 'delayed', 'active'])).map(j => j?.data))
    const before = dms(CURATOR).length
    expect((await askCode(CURATOR)).status).toBe(200)
    const dm = await waitFor('the code in WeChat', () => dms(CURATOR).slice(before).find(m => m.text.includes('验证码')))
    const code = /验证码：(\d{6})/.exec(dm.text)![1]
    // Sent: the job is gone (not kept as completed), and so is the text kept apart for it.
    await waitFor('the send removed', async () => (await queue.getJobs(['completed', 'waiting', 'prioritized', 'active'])).every(j => !j?.data.idem.startsWith('signin-')))
    expect(await jobsText()).not.toContain(code)
    expect(await d.store.redis.keys(`${d.store.keys.base}secret:*`)).toEqual([])
    for (const line of [...lines, ...run.lines]) expect(line).not.toContain(code)

    // A send still waiting holds a reference only; its text expires with the code and is then not sent.
    await queue.pause()
    try {
      expect((await askCode(CURATOR)).status).toBe(200)
      const [key] = await waitFor('the text kept apart', () => d.store.redis.keys(`${d.store.keys.base}secret:*`))
      const ttl = await d.store.redis.ttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(300)
      const waiting = (await queue.getJobs(['waiting', 'prioritized'])).find(j => j?.data.idem.startsWith('signin-'))!
      expect(waiting.data).toMatchObject({ text: '', secretKey: key })
      expect(JSON.stringify(waiting.data)).not.toMatch(/\d{6}/)
      await d.store.redis.del(key) // as after its five minutes
    } finally {
      await queue.resume()
    }
    const sent = dms(CURATOR).length
    await waitFor('the expired send dropped', async () => (await queue.getJobs(['completed', 'failed', 'waiting', 'prioritized', 'delayed', 'active'])).every(j => !j?.data.idem.startsWith('signin-')))
    expect(lines.some(l => l.includes('"reason":"secret expired"'))).toBe(true)
    expect(dms(CURATOR).length).toBe(sent)
  })
})
