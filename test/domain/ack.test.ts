import { describe, expect, it } from 'vitest'
import { parseAck } from '../../src/domain/ack.ts'

describe('parseAck', () => {
  it.each([
    ['收到'], ['已收到'], ['收到了'], ['收到！'], ['收到!!'], ['1'], ['１'], ['好的收到'], ['好的，收到'], ['👌'], ['👍'],
    ['收到，谢谢'], ['已经收到'], ['  收到。 '], ['@朝天北片值守号 收到'], ['OK收到'], ['收到，明白'],
  ])('%j is an acknowledgment', text => {
    expect(parseAck(text)).toEqual({ ack: true })
  })

  it.each([
    ['收到A7K2', 'A7K2'], ['收到 a7k2', 'A7K2'], ['A7K2 收到', 'A7K2'], ['收到：B3CD', 'B3CD'], ['收到ZFGG', 'ZFGG'],
  ])('%j acknowledges the named notice', (text, code) => {
    expect(parseAck(text)).toEqual({ ack: true, code })
  })

  it.each([
    ['收到没？'], ['收到没有？'], ['你们收到了吗'], ['收到了吗'], ['收到没'], ['大家收到通知了么'], ['我刚收到快递了，谁家的'],
    ['今天收到一个电话说要交钱'], ['11'], ['12'], ['好的'], [''], ['   '], ['收到个锤子哦你们这个通知一天发三遍'],
    ['我家那边信号不好，通知都收不到'], ['没收到'], ['不收到'],
  ])('%j is not an acknowledgment', text => {
    expect(parseAck(text).ack).toBe(false)
  })
})

describe('parseAck with a quote of the notice (wechaty 1.x quote text)', () => {
  const SEP = '- - - - - - - - - - - - - - -'
  const POST = '【紧急通知】今晚8点起暂停全镇集市，请大家减少外出。\n—— 朝天区 · 编号 B7K2\n请各位家人看到后回复“收到”。'
  const quote = (quoted: string, reply: string, name = '朝天北片值守号') => `「${name}：${quoted}」\n${SEP}\n${reply}`

  it.each([
    [quote(POST, '收到'), { ack: true, code: 'B7K2' }],
    [quote(POST, '好的收到'), { ack: true, code: 'B7K2' }],
    [quote(POST, '1'), { ack: true, code: 'B7K2' }],
    [quote(POST, '👌'), { ack: true, code: 'B7K2' }],
    [quote(POST, '收到！谢谢'), { ack: true, code: 'B7K2' }],
    [quote(POST, '收到C9DD'), { ack: true, code: 'C9DD' }], // the code named in the reply wins
    [quote('明天几点集合？', '收到', '李翠英'), { ack: true }], // a quote without a code: the latest notice
    [quote(POST, '收到', '朝天北片值守号:'), { ack: true, code: 'B7K2' }],
    [`「朝天北片值守号: ${POST}」\n- - - - - - - -\n收到`, { ack: true, code: 'B7K2' }],
  ])('%j → %j', (text, expected) => {
    expect(parseAck(text)).toEqual(expected)
  })

  it.each([
    [quote(POST, '收到没？')],
    [quote(POST, '你们收到了吗')],
    [quote(POST, '这个通知是真的吗，集市明天还开不开')],
    [quote(POST, '')],
    [quote(POST, '我刚收到快递了，谁家的')],
    // Not a quote form (no dashed line): the whole text is long chat.
    [`「朝天北片值守号：${POST}」收到`],
  ])('%j is not an acknowledgment', text => {
    expect(parseAck(text).ack).toBe(false)
  })
})
