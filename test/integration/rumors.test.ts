/**
 * Rumor rebuttal in chat, end to end: real Redis, real BullMQ outboxes, bots on the mock puppet.
 */
import { PassThrough, Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { rumorCommand } from '../../src/features/rumors/cli.ts'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { silentLogger } from '../../src/infra/log.ts'
import { LiveRumorLibrary } from '../../src/features/rumors/rumors.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { RumorStore } from '../../src/features/rumors/store.ts'
import { scanKeys } from '../../src/store/store.ts'
import { demoConfig, dm, REDIS_URL, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict | undefined
afterEach(async () => { await d?.close(); d = undefined })

const XICUN = '西村村民群'
const XICUN_2 = '西村二组群'
/** A 羊木镇 village group: two accounts (bot-north, bot-south) sit in it. */
const QINGGANG = '青杠村村民群'

/** Our own cases (not from the evaluation sets). */
const KNOWN = '【转发】板蓝根冲剂能防新冠，一家人每天喝两包，转给家人' // R03, answered by itself
const KNOWN_AGAIN = '药店的板蓝根都卖光了，专家说喝板蓝根可以预防新冠肺炎，快去买' // R03 in other words
const DOUBTFUL = '家里的高度白酒拿来擦手能消毒吗' // close to R01 (alcohol disinfects), not its claim
const CHAT = '今晚整两口白酒，谁来'
const REBUTTAL_POST = '辟谣：喝白酒不能预防新冠，大家不要信'
const NEW_RUMOR = '隔壁村的水井被人投了毒，千万别喝井水，是真的吗？'
const NEW_RUMOR_AGAIN = '隔壁村水井被人投毒了，千万别喝井水'
const WELL_REBUTTAL = '经镇水务站检测，各村水井水质正常，没有投毒的事，请放心饮用。'

async function start(opts: { cooldownSeconds?: number; ns?: string } = {}): Promise<SimDistrict> {
  const cfg = await demoConfig()
  cfg.rumors = { cooldownSeconds: opts.cooldownSeconds ?? 3600 }
  d = await startDistrict({ cfg, ...(opts.ns ? { ns: opts.ns } : {}) })
  return d
}

/** Binds only the people a test needs (faster than everyone). */
async function bind(district: SimDistrict, people: string[]): Promise<void> {
  for (const p of people) await district.bind(p)
  for (const p of people) await waitFor(`${p} bound`, async () => Object.keys(await district.store.bindingsOf(p)).length > 0)
  await district.idle()
}

function villager(district: SimDistrict, topic: string, i = 0): string {
  return district.world.villagersOf(topic)[i]
}

const rebuttalsIn = (district: SimDistrict, topic: string) => district.world.postsIn(topic, '【辟谣】')

/** The next DM a contact gets from a bot that satisfies `pred`. */
async function nextDm(district: SimDistrict, contact: string, pred: (t: string) => boolean, what: string): Promise<string> {
  return (await waitFor(what, () => district.world.dmsTo(contact).find(m => pred(m.text)))).text
}

describe('rumors in a group', () => {
  it('answers a known rumor, sends a doubtful one to the node curator, ignores chat and rebuttals, and leaves 收到 to acknowledgments', async () => {
    const district = await start()
    await bind(district, ['zhang-guiying', 'liu-jianguo', 'li-hong'])
    const v = villager(district, XICUN)

    // reply: the rebuttal in the group, quoting the message's first words and naming the source.
    district.world.sayInGroup(v, XICUN, KNOWN)
    const reply = await waitFor('the rebuttal', () => rebuttalsIn(district, XICUN)[0])
    expect(reply.text).toContain('“板蓝根冲剂能防新冠，一家人每…”')
    expect(reply.text).toContain('板蓝根对新冠病毒没有预防作用')
    expect(reply.text).toMatch(/来源：\S+/)

    // suggest: the curator of 西村 is asked (not the backup), with the message, the candidate and the score.
    district.world.sayInGroup(v, XICUN, DOUBTFUL)
    const ask = await nextDm(district, personContactId('zhang-guiying'), t => t.startsWith('【疑似谣言'), 'the suggestion')
    const code = /【疑似谣言 (S\d+)】/.exec(ask)?.[1]
    expect(code, ask).toBeTruthy()
    expect(ask).toContain(DOUBTFUL)
    expect(ask).toContain('R01')
    expect(ask).toMatch(/相似度 0\.\d\d/)
    expect(ask).toContain(`是 ${code}`)

    // ignore: chat and a rebuttal post; a short 收到 still counts as an acknowledgment.
    const a = await district.app.publish({ node: 'zhongzi-xicun', author: CLI_AUTHOR, text: '明早八点村委会发口罩。' })
    await waitFor('the notice', () => district.world.postsIn(XICUN, a.code).length === 1)
    district.world.sayInGroup(v, XICUN, CHAT)
    district.world.sayInGroup(v, XICUN, REBUTTAL_POST)
    district.world.sayInGroup(v, XICUN, '收到')
    await waitFor('the acknowledgment', async () => (await district.store.ackCounts(a.code)).get(XICUN) === 1)
    await district.idle()
    expect(rebuttalsIn(district, XICUN)).toHaveLength(1)
    expect(district.world.dmsTo(personContactId('zhang-guiying')).filter(m => m.text.startsWith('【疑似谣言'))).toHaveLength(1)
    expect(district.world.dmsTo(personContactId('liu-jianguo')).filter(m => m.text.startsWith('【疑似谣言'))).toHaveLength(0)

    // Only the node's curators and backups may answer; the first answer wins.
    expect(await dm(district, 'li-hong', `是 ${code}`)).toContain('您不能处理')
    expect(await dm(district, 'zhang-guiying', `是 ${code}`)).toContain(`已确认 ${code} 是谣言 R01`)
    await waitFor('the confirmed rebuttal', () => rebuttalsIn(district, XICUN).some(m => m.text.includes('喝酒杀不死')))
    expect(await dm(district, 'liu-jianguo', `忽略 ${code}`)).toContain('张桂英')
    expect(await dm(district, 'zhang-guiying', '辟谣 S999 随便写写')).toContain('没有找到编号为 S999')
    expect(await dm(district, 'zhang-guiying', `辟谣 ${code}`)).toContain('辟谣 <S编号> <辟谣内容>')
    // An unbound villager's command is not obeyed.
    district.world.sayToBot(v, 'bot-north', `忽略 ${code}`)
    expect(await nextDm(district, v, t => t.includes('还没有绑定'), 'the refusal')).toBeTruthy()
  })

  it('answers a rumor once per group within the cooldown, once even where two accounts sit, and again after it', async () => {
    const district = await start({ cooldownSeconds: 3 })
    const [v1, v2] = [villager(district, XICUN, 0), villager(district, XICUN, 1)]
    district.world.sayInGroup(v1, XICUN, KNOWN)
    await waitFor('the first rebuttal', () => rebuttalsIn(district, XICUN).length === 1)
    district.world.sayInGroup(v2, XICUN, KNOWN_AGAIN)
    // A marker: another rumor in the same group, said after it, is answered.
    district.world.sayInGroup(v1, XICUN, '白酒度数高能消毒，每天喝上一杯，新冠病毒就不敢进门了')
    district.world.sayInGroup(v2, XICUN_2, KNOWN_AGAIN)
    await waitFor('the other group answered', () => rebuttalsIn(district, XICUN_2).length === 1)
    await waitFor('the marker answered', () => rebuttalsIn(district, XICUN).some(m => m.text.includes('喝酒杀不死')))
    await district.idle()
    expect(rebuttalsIn(district, XICUN).filter(m => m.text.includes('板蓝根'))).toHaveLength(1)

    // Both accounts in 青杠村 see the message; the group gets one rebuttal.
    district.world.sayInGroup(villager(district, QINGGANG), QINGGANG, KNOWN)
    await waitFor('the 青杠村 rebuttal', () => rebuttalsIn(district, QINGGANG).length === 1)
    await district.idle()
    expect(rebuttalsIn(district, QINGGANG)).toHaveLength(1)

    // After the cooldown the rumor is answered again.
    await waitFor('the cooldowns of R03 to end', async () =>
      (await scanKeys(district.store.redis, `${district.store.keys.base}rumor:cool:*:R03`)).length === 0, 10_000)
    district.world.sayInGroup(v2, XICUN, KNOWN_AGAIN)
    await waitFor('the rebuttal after the cooldown', () => rebuttalsIn(district, XICUN).filter(m => m.text.includes('板蓝根')).length === 2)
  })
})

describe('the curator grows the library; villagers check messages in a DM', () => {
  it('turns a villager’s DM into a new entry that then matches in groups, tells the villager, broadcasts it, and keeps it after a restart', async () => {
    let district = await start()
    await bind(district, ['zhang-guiying', 'zhao-min'])
    const v = villager(district, XICUN)

    // A known rumor in a DM is answered at once.
    district.world.sayToBot(v, 'bot-north', KNOWN)
    expect(await nextDm(district, v, t => t.includes('已经核实过的谣言'), 'the DM answer')).toContain('板蓝根对新冠病毒没有预防作用')

    // A rumor the library does not know goes to the curator of the villager's own village.
    district.world.sayInGroup(v, XICUN, '大家好，今天村口有人卖菜吗')
    await waitFor('the group message seen', () => district.store.lastGroupOf('bot-north', v))
    district.world.sayToBot(v, 'bot-north', NEW_RUMOR)
    const forwarded = await nextDm(district, v, t => t.includes('已转给'), 'the forwarding notice')
    expect(forwarded).toContain('西村的审核员')
    const code = /编号 (S\d+)/.exec(forwarded)?.[1]
    const ask = await nextDm(district, personContactId('zhang-guiying'), t => t.includes(`【疑似谣言 ${code}】`), 'the suggestion')
    expect(ask).toContain('辟谣库里没有相近的说法')

    // Confirming needs a candidate; the curator writes the rebuttal instead.
    expect(await dm(district, 'zhang-guiying', `是 ${code}`)).toContain(`辟谣 ${code}`)
    const made = await dm(district, 'zhang-guiying', `辟谣 ${code} ${WELL_REBUTTAL}`)
    const id = /已新建辟谣 (R\d+)/.exec(made)?.[1]
    expect(id, made).toBe('R35') // numbered above the file's R01–R34
    // The villager is told.
    const told = await nextDm(district, v, t => t.includes('审核员已核实'), 'the notice to the villager')
    expect(told).toContain(WELL_REBUTTAL)
    expect(told).toContain('西村张桂英核实')

    // The new entry answers the rumor in any group from now on.
    district.world.sayInGroup(villager(district, XICUN_2, 3), XICUN_2, NEW_RUMOR_AGAIN)
    const reply = await waitFor('the new rebuttal in a group', () => rebuttalsIn(district, XICUN_2).find(m => m.text.includes(WELL_REBUTTAL)))
    expect(reply.text).toContain('西村张桂英核实')

    // Broadcast down the tree: a district publisher may, a village curator may not.
    expect(await dm(district, 'zhang-guiying', `广播 ${code}`)).toContain('只有发布员或区审核员')
    const broadcast = await dm(district, 'zhao-min', `广播辟谣 ${id}`)
    const annCode = /编号 ([A-Z0-9]{4})/.exec(broadcast)?.[1]
    expect(annCode, broadcast).toBeTruthy()
    const announcement = await district.store.announcement(annCode!)
    expect(announcement).toMatchObject({ category: '辟谣', author: 'zhao-min', originNode: 'chaotian' })
    expect(announcement!.text).toContain(WELL_REBUTTAL)
    await waitFor('the district post', () => district.world.postsIn('朝天区群众信息发布群', annCode!).length === 1)

    // `cascade rumor list` shows the file's entries and the curator's.
    const ns = district.store.keys.ns
    let listed = ''
    const stdout = new PassThrough().on('data', c => { listed += c })
    expect(await rumorCommand(['list'], { stdin: Readable.from([]), stdout, stderr: new PassThrough(), env: { REDIS_URL, CASCADE_NS: ns } })).toBe(0)
    expect(listed).toMatch(/^R34 /m)
    expect(listed).toMatch(/added by curators \(1\):\nR35 +curator +隔壁村的水井被人投了毒/)

    // A restart (new processes, same Redis namespace): the entry is loaded from Redis.
    await district.close({ keepKeys: true })
    d = undefined
    district = await start({ ns })
    district.world.sayInGroup(villager(district, '东坝村村民群'), '东坝村村民群', NEW_RUMOR_AGAIN)
    await waitFor('the rebuttal after the restart', () => rebuttalsIn(district, '东坝村村民群').find(m => m.text.includes(WELL_REBUTTAL)))
  })

  it('tells the villager when the curator dismisses the message', async () => {
    const district = await start()
    await bind(district, ['wang-jun'])
    // An unbound contact never seen in a group: the first node with curators of that account decides.
    district.world.addContact('wxid_stranger', '路人甲')
    // A story the library does not hold (the supermarket-closing wording used here before is now answered as R11 at once).
    district.world.sayToBot('wxid_stranger', 'bot-north', '核实 镇上的自来水厂被污染了，这几天别喝自来水')
    const forwarded = await nextDm(district, 'wxid_stranger', t => t.includes('已转给'), 'the forwarding notice')
    expect(forwarded).toContain('朝天区的审核员')
    const code = /编号 (S\d+)/.exec(forwarded)![1]
    expect(await dm(district, 'wang-jun', `忽略 ${code}`)).toContain(`已忽略 ${code}`)
    expect(await nextDm(district, 'wxid_stranger', t => t.includes('没有认定为谣言'), 'the dismissal notice')).toContain(code)
    // A bare 核实 gets its usage; ordinary DMs are left to the spine.
    district.world.sayToBot('wxid_stranger', 'bot-north', '核实')
    expect(await nextDm(district, 'wxid_stranger', t => t.includes('请把要核实的消息原文发给我'), 'the usage')).toBeTruthy()
  })
})

describe('processes share curator-added entries through Redis', () => {
  it('a library that did not add an entry picks it up', async () => {
    const district = await start()
    const file = `${district.cfg.configDir}/rumors.yaml`
    const storeA = new RumorStore(district.store.redis, district.store.keys.base)
    const [a, b] = [new LiveRumorLibrary(silentLogger, storeA, file), new LiveRumorLibrary(silentLogger, storeA, file)]
    expect((await b.matcher()).match(NEW_RUMOR_AGAIN).action).not.toBe('reply')
    const added = await a.add({ claim: '隔壁村水井被投毒', rebuttal: WELL_REBUTTAL, examples: [NEW_RUMOR], urls: [], category: 'curator', source: '测试', addedBy: 'zhang-guiying', addedAt: Date.now() })
    const m = (await b.matcher()).match(NEW_RUMOR_AGAIN)
    expect(m).toMatchObject({ id: added.id, action: 'reply' })
    expect((await storeA.entries()).map(e => e.id)).toEqual([added.id])
  })
})
