/**
 * Issue 13, item 2: one village curator cannot speak in every group of the district. Their
 * `辟谣 S12 <text>` answers by itself only in their own node's groups; elsewhere the local
 * curators are asked; a curator above widens it with `推广 R35` (a sibling or the author cannot).
 * Its source line names who wrote it. The notice that follows still goes out urgent.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { demoConfig, dm, startDistrict, waitFor } from '../helpers.ts'
import { urgentNoticeGoesOut } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const XICUN = '西村村民群'
const XICUN_2 = '西村二组群'
const DONGBA = '东坝村村民群' // 中子镇, like 西村
const DISTRICT = '朝天区群众信息发布群'
const NEW_RUMOR = '隔壁村的水井被人投了毒，千万别喝井水，是真的吗？'
const AGAIN = '隔壁村水井被人投毒了，千万别喝井水'
const WELL_REBUTTAL = '经镇水务站检测，各村水井水质正常，没有投毒的事，请放心饮用。'

const rebuttalsIn = (topic: string) => d.world.postsIn(topic, WELL_REBUTTAL)
const suggestionsTo = (person: string) => d.world.dmsTo(personContactId(person)).filter(m => m.text.startsWith('【疑似谣言'))

describe('a village curator\'s rebuttal', () => {
  it('answers by itself only in the village until a curator above widens it', async () => {
    const cfg = await demoConfig()
    cfg.rumors = { cooldownSeconds: 3600 }
    d = await startDistrict({ cfg })
    const people = ['zhang-guiying', 'yang-xiuzhen', 'li-hong', 'wang-jun']
    for (const p of people) await d.bind(p)
    await waitFor('staff bound', async () => (await Promise.all(people.map(p => d.store.bindingsOf(p)))).every(b => Object.keys(b).length > 0))
    await d.idle()

    // A villager of 西村 asks; 西村's curator writes the rebuttal.
    const v = d.world.villagersOf(XICUN)[0]
    d.world.sayInGroup(v, XICUN, '大家好')
    await waitFor('the group message seen', () => d.store.lastGroupOf('bot-north', v))
    d.world.sayToBot(v, 'bot-north', NEW_RUMOR)
    const code = (await waitFor('the suggestion', () => /【疑似谣言 (S\d+)】/.exec(suggestionsTo('zhang-guiying')[0]?.text ?? '')))[1]
    const made = await dm(d, 'zhang-guiying', `辟谣 ${code} ${WELL_REBUTTAL}`)
    const id = /已新建辟谣 (R\d+)/.exec(made)![1]
    expect(made).toContain('推广')

    // In 西村's other group it answers, naming who wrote it.
    d.world.sayInGroup(d.world.villagersOf(XICUN_2)[2], XICUN_2, AGAIN)
    const here = await waitFor('the rebuttal in 西村', () => rebuttalsIn(XICUN_2)[0])
    expect(here.text).toContain('西村张桂英核实')

    // In another village and in the district's group it does not: their curators are asked.
    d.world.sayInGroup(d.world.villagersOf(DONGBA)[0], DONGBA, AGAIN)
    d.world.sayInGroup(d.world.villagersOf(DISTRICT)[0], DISTRICT, AGAIN)
    await waitFor('东坝\'s curator asked', () => suggestionsTo('yang-xiuzhen').some(m => m.text.includes(id)))
    await waitFor('the district curator asked', () => suggestionsTo('wang-jun').some(m => m.text.includes(id)))
    await d.idle()
    expect(rebuttalsIn(DONGBA)).toHaveLength(0)
    expect(rebuttalsIn(DISTRICT)).toHaveLength(0)

    // Neither the author nor a neighbouring village may widen it; 中子镇's curator may, to 中子镇.
    expect(await dm(d, 'zhang-guiying', `推广 ${id}`)).toContain('只有西村的上级审核员')
    expect(await dm(d, 'yang-xiuzhen', `推广 ${id}`)).toContain('只有西村的上级审核员')
    expect(await dm(d, 'li-hong', `推广 ${id}`)).toContain('中子镇及下级')
    d.world.sayInGroup(d.world.villagersOf(DONGBA)[1], DONGBA, AGAIN)
    const there = await waitFor('the rebuttal in 东坝', () => rebuttalsIn(DONGBA)[0])
    expect(there.text).toContain('西村张桂英核实')
    // Still not in the district's group (中子镇 is below it).
    d.world.sayInGroup(d.world.villagersOf(DISTRICT)[1], DISTRICT, AGAIN)
    await waitFor('the district curator asked again', () => suggestionsTo('wang-jun').length === 2)
    await d.idle()
    expect(rebuttalsIn(DISTRICT)).toHaveLength(0)

    // The district curator's word makes it the district's.
    expect(await dm(d, 'wang-jun', `推广 ${id}`)).toContain('朝天区及下级')
    expect(await dm(d, 'li-hong', `推广 ${id}`)).toContain('已经可以在全区使用')
    d.world.sayInGroup(d.world.villagersOf(DISTRICT)[2], DISTRICT, AGAIN)
    await waitFor('the rebuttal in the district group', () => rebuttalsIn(DISTRICT)[0])

    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })
})
