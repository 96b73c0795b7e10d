/**
 * One account's runtime: bound people found again after a login changed their ids (by the remark
 * the bot gave them), and a failure in a handler answered with an apology instead of a crash.
 */
import { afterEach, expect, it } from 'vitest'
import { bindingAlias } from '../../src/chat/bot-runtime.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

it('finds a bound curator again by the remark after their contact id changed', async () => {
  d = await startDistrict()
  const bot = d.homeBot('li-hong')
  const rt = d.runtimes.get(bot)!
  // Bound under the id of an earlier login, which this login no longer knows…
  await d.store.bind(bot, 'wxid_from_last_login', 'li-hong')
  // …while the same person is here under a new id, carrying the remark the bot gave them.
  const mocker = d.world.mockers.get(bot)!
  const now = personContactId('li-hong')
  mocker.cacheContactPayload.set(now, { ...mocker.cacheContactPayload.get(now)!, alias: bindingAlias('li-hong') })
  await rt.wechaty.puppet.contactPayloadDirty(now)

  await rt.resolvePeople()
  expect((await d.store.bindingsOf('li-hong'))[bot]).toBe(now)
  expect(await d.store.personOf(bot, now)).toBe('li-hong')
  expect(await d.store.personOf(bot, 'wxid_from_last_login')).toBeUndefined()
  expect(rt.missingPeople).not.toContain('li-hong')

  // Someone else, bound under a vanished id and with no remark, is reported, not guessed.
  await d.store.bind(bot, 'wxid_vanished', 'chen-gang')
  await rt.resolvePeople()
  expect(rt.missingPeople).toContain('chen-gang')
  expect((await d.store.bindingsOf('chen-gang'))[bot]).toBe('wxid_vanished')
})

it('answers a private message it failed on with a short apology, and keeps running', async () => {
  d = await startDistrict()
  d.app.use(async ({ msg }) => { if (msg.text === '触发故障') throw new Error('a bug in a handler'); return undefined })
  const villager = d.world.villagersOf('西村村民群')[0]
  d.world.sayToBot(villager, 'bot-north', '触发故障')
  const apology = await waitFor('the apology', () => d.world.dmsTo(villager)[0])
  expect(apology.text).toContain('系统刚才出了点问题')
  d.world.sayToBot(villager, 'bot-north', '你好')
  await waitFor('an ordinary answer afterwards', () => d.world.dmsTo(villager).length === 2)
})
