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
