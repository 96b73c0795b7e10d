/**
 * How many bound people a forced re-login leaves to type their personal code:
 *
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/rebind-count.ts [--log]
 *
 * The demo district (config/, every account of bots/) over the simulated web-WeChat server with
 * the real client (WebWxDistrict). Everyone with a role is bound (an invite sent to the first
 * account serving one of their nodes); then every account is kicked and its owner scans again,
 * so every contact id is new and the server keeps no remarks (as today's web WeChat). Each
 * contact asked to confirm answers 确认 (simulated). Counted per bound person: re-bound by that
 * answer, or left to send their code (and why). Real Redis, in a namespace deleted afterwards.
 */
import { log as wechatyLog } from 'wechaty'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../src/config/load.ts'
import { createLogger } from '../src/infra/log.ts'
import { WebWxDistrict } from '../src/sim/webwx-district.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const ASK = '请回复“确认”'

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

async function main(): Promise<void> {
  wechatyLog.level('silent')
  const cfg = await loadConfig({ configDir: path.join(ROOT, 'config'), botsDir: path.join(ROOT, 'bots') })
  const d = await WebWxDistrict.start({
    cfg, redisUrl: REDIS_URL, pacing: { perMinute: 6000, jitterMs: 0 }, villagersPerGroup: 2,
    runtime: { contactsWaitMs: 10_000 }, log: process.argv.includes('--log') ? createLogger({}) : undefined,
  })
  try {
    await d.bindEveryone()
    const bound: { person: string; bot: string }[] = []
    for (const person of cfg.people.keys()) {
      for (const bot of Object.keys(await d.store.bindingsOf(person))) bound.push({ person, bot })
    }
    const dmsBefore = new Map(bound.map(b => [b.person, d.server.dmsTo(b.person).length]))
    const started = Date.now()
    for (const bot of d.bots) d.server.kick(bot)
    await waitUntil('every account logged out', () => d.bots.every(b => !d.runtimes.get(b)!.isLoggedIn))
    for (const bot of d.bots) await d.scan(bot)
    await waitUntil('every account logged in again', () => d.bots.every(b => d.runtimes.get(b)!.isLoggedIn))
    await d.idle()
    const missingAfterLogin = d.bots.reduce((n, b) => n + d.runtimes.get(b)!.missingPeople.length, 0)
    // Everyone asked answers 确认 to the account that asked.
    const answered: { person: string; bot: string }[] = []
    for (const { person, bot } of bound) {
      const asks = d.server.dmsTo(person).slice(dmsBefore.get(person)).filter(m => m.from === bot && m.text.includes(ASK))
      if (asks.length) { d.server.say(person, bot, '确认'); answered.push({ person, bot }) }
    }
    await waitUntil('the answers handled', async () => {
      for (const { person, bot } of answered) {
        if (d.runtimes.get(bot)!.missingPeople.includes(person)) return false
      }
      return true
    })
    await d.idle()
    const ms = Date.now() - started
    const stillMissing = d.bots.flatMap(b => d.runtimes.get(b)!.missingPeople.map(person => ({ person, bot: b })))
    const rebound = (await d.store.auditLog('bindings')).filter(e => e.kind === 'rebind' && e.by === 'nickname-confirmed').length
    const roles = (p: string) => { const r = d.app.rolesOf(p); return r.curator.length + r.backup.length + r.publisher.length ? 'staff' : 'grid worker' }
    const why = new Map<string, number>()
    for (const m of stillMissing) why.set(roles(m.person), (why.get(roles(m.person)) ?? 0) + 1)
    console.log(`accounts: ${d.bots.length}, bound people: ${bound.length}, missing after the re-logins: ${missingAfterLogin}`)
    console.log(`asked to confirm: ${answered.length}; re-bound by their 确认: ${rebound}`)
    console.log(`must send their personal code: ${stillMissing.length} (${[...why].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})`)
    console.log(`kick → everyone asked re-bound: ${(ms / 1000).toFixed(1)} s`)
    console.log(JSON.stringify({ accounts: d.bots.length, bound: bound.length, missing: missingAfterLogin, asked: answered.length, rebound, code: stillMissing.length, codeBy: Object.fromEntries(why), ms }))
  } finally {
    await d.close()
  }
}

main().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
