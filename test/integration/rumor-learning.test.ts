/**
 * The library learns from curators' decisions (issue 27), and curators decide from the CLI the way
 * they do in chat (issue 26 item 5): real Redis, real queues, the demo district on the mock puppet.
 */
import { PassThrough, Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { rumorCommand } from '../../src/features/rumors/cli.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { RumorStore } from '../../src/features/rumors/store.ts'
import { learnedWording } from '../../src/domain/rumor/learning.ts'
import { demoConfig, REDIS_URL, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict | undefined
afterEach(async () => { await d?.close(); d = undefined })

const XICUN = '西村村民群'
const XICUN_2 = '西村二组群'
/** R14 in words the library lacks: the matcher is not sure, a curator is asked. */
const INFERTILITY = '打了新冠疫苗以后就生不出孩子了，谁家媳妇要打的先想想'
/** Close to R01 (alcohol disinfects) and not its claim. */
const DOUBTFUL = '家里的高度白酒拿来擦手能消毒吗'
const CURATOR = 'zhang-guiying'

/** `cascade rumor …` (argv from "rumor" on) against the district's Redis namespace and config; stdout, stderr, exit code. */
async function cli(district: SimDistrict, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const stdout = new PassThrough().on('data', c => { out += c })
  const stderr = new PassThrough().on('data', c => { err += c })
  const env = { REDIS_URL, CASCADE_NS: district.store.keys.ns }
  const code = await rumorCommand([...argv.slice(1), '--config', district.cfg.configDir, '--bots', district.cfg.botsDir], { stdin: Readable.from([]), stdout, stderr, env })
  return { code, out, err }
}

const asks = (district: SimDistrict) => district.world.dmsTo(personContactId(CURATOR)).filter(m => m.text.startsWith('【疑似谣言'))
const rebuttalsIn = (district: SimDistrict, topic: string) => district.world.postsIn(topic, '【辟谣】')

describe('a curator teaches the library from the CLI', () => {
  it('是 makes the wording an example (answered by itself next time), 忽略 a near miss (not asked again), both listed, undone and exported', async () => {
    const cfg = await demoConfig()
    cfg.rumors = { cooldownSeconds: 3600 }
    const district = d = await startDistrict({ cfg })
    await district.bind(CURATOR)
    await waitFor('the curator bound', async () => Object.keys(await district.store.bindingsOf(CURATOR)).length > 0)
    const v = district.world.villagersOf(XICUN)[0]

    district.world.sayInGroup(v, XICUN, INFERTILITY)
    district.world.sayInGroup(v, XICUN, DOUBTFUL)
    await waitFor('two suggestions', () => asks(district).length === 2)
    const waiting = await cli(district, 'rumor', 'suggestions')
    expect(waiting.code, waiting.err).toBe(0)
    expect([...waiting.out.matchAll(/^(S\d+) /gm)]).toHaveLength(2)
    const store = new RumorStore(district.store.redis, district.store.keys.base)
    const codeOf = async (text: string) => (await store.suggestions()).find(s => s.text === text)!.code
    const [infertility, doubtful] = [await codeOf(INFERTILITY), await codeOf(DOUBTFUL)]
    expect(waiting.out).toMatch(new RegExp(`^${infertility} .*candidate R14`, 'm'))

    // Bad input: a clear answer, exit 2, nothing decided.
    expect((await cli(district, 'rumor', 'decide', infertility, '是')).code).toBe(2)
    expect((await cli(district, 'rumor', 'decide', infertility, '对', '--as', CURATOR)).code).toBe(2)

    // 是: the chat command's answer in Chinese, the rebuttal in the group, the wording learned.
    const yes = await cli(district, 'rumor', 'decide', infertility, '是', '--as', CURATOR)
    expect(yes.code, yes.err).toBe(0)
    expect(yes.out).toContain(`已确认 ${infertility} 是谣言 R14`)
    await waitFor('the confirmed rebuttal', () => rebuttalsIn(district, XICUN).length === 1)
    // 忽略: the candidate was wrong.
    expect((await cli(district, 'rumor', 'decide', doubtful, '忽略', '--as', CURATOR)).code).toBe(0)
    // The first answer wins, in the CLI as in chat.
    const again = await cli(district, 'rumor', 'decide', doubtful, '是', '--as', CURATOR)
    expect(again.code).toBe(1)

    const review = await cli(district, 'rumor', 'review')
    expect(review.out).toMatch(/^L1 .*example of R14 by 张桂英 \(zhang-guiying\) from S\d+, said in 西村村民群: 打了新冠疫苗以后就生不出孩子了/m)
    expect(review.out).toMatch(/^L2 .*near miss of R01 by 张桂英/m)

    // Next time, in another group: the learned wording is answered by itself; the dismissed one is not asked about again.
    const v2 = district.world.villagersOf(XICUN_2)[0]
    district.world.sayInGroup(v2, XICUN_2, INFERTILITY)
    district.world.sayInGroup(v2, XICUN_2, DOUBTFUL)
    await waitFor('the rebuttal by itself', () => rebuttalsIn(district, XICUN_2).length === 1)
    await district.idle()
    expect(asks(district)).toHaveLength(2)
    expect(rebuttalsIn(district, XICUN_2)[0].text).toContain('不会改变人的基因')

    // match from the shell uses the grown library too: what the bot would now do, in Chinese.
    const now = await cli(district, 'rumor', 'match', INFERTILITY)
    expect(now.out).toContain('判断：自动辟谣')
    expect(now.out).toMatch(/谣言：R14 /)

    // export: the grown library in the file's format, with the learned example.
    const exported = await cli(district, 'rumor', 'export')
    expect(exported.out).toMatch(/^rumors:/m)
    expect(exported.out).toContain(`- ${learnedWording(INFERTILITY)}`)

    // undo: only a curator of the node (or the district); then the library is without it.
    expect((await cli(district, 'rumor', 'undo', 'L1', '--as', 'li-hong')).code).toBe(1)
    const undone = await cli(district, 'rumor', 'undo', 'L1', '--as', CURATOR)
    expect(undone.code, undone.err).toBe(0)
    expect((await cli(district, 'rumor', 'review')).out).toMatch(/^L1 .*\[undone by zhang-guiying\]/m)
    expect((await cli(district, 'rumor', 'export')).out).not.toContain(learnedWording(INFERTILITY))
    expect((await store.learned()).map(r => [r.code, r.kind, r.rumor, !!r.undone])).toEqual([['L1', 'example', 'R14', true], ['L2', 'near-miss', 'R01', false]])
  })
})
