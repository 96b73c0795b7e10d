import { describe, expect, it } from 'vitest'
import { parseCommand } from '../../src/domain/commands.ts'

describe('parseCommand', () => {
  it.each([
    ['通过 A7K2', { kind: 'approve', code: 'A7K2' }],
    ['通过a7k2', { kind: 'approve', code: 'A7K2' }],
    ['通过：Ａ７Ｋ２', { kind: 'approve', code: 'A7K2' }],
    ['@值守号 通过 A7K2', { kind: 'approve', code: 'A7K2' }],
    ['驳回 A7K2 与本村无关，不转发', { kind: 'reject', code: 'A7K2', reason: '与本村无关，不转发' }],
    ['修改 A7K2 第一行\n第二行（全角标点保留）', { kind: 'edit', code: 'A7K2', text: '第一行\n第二行（全角标点保留）' }],
    ['进度 A7K2', { kind: 'progress', code: 'A7K2' }],
    ['发布 今晚停电，请做好准备。', { kind: 'publish', text: '今晚停电，请做好准备。' }],
    ['帮助', { kind: 'help' }],
    ['发布 一般 下周一集市照常', { kind: 'publish', text: '下周一集市照常', severity: 'normal' }],
    ['发布 紧急：今晚有暴雨', { kind: 'publish', text: '今晚有暴雨', severity: 'urgent' }],
    ['K7P2-QX9M', { kind: 'bind', invite: 'K7P2-QX9M' }],
    ['k7p2qx9m', { kind: 'bind', invite: 'K7P2-QX9M' }],
    ['绑定 K7P2-QX9M', { kind: 'bind', invite: 'K7P2-QX9M' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected)
  })

  it.each([
    ['通过', '通过', 'code'], ['通过 A7K2 好的', '通过', 'code'], ['驳回 A7K2', '驳回', 'reason'],
    ['修改 A7K2', '修改', 'text'], ['发布', '发布', 'text'], ['进度', '进度', 'code'], ['绑定 123', '绑定', 'code'],
  ])('%j is malformed', (text, verb, problem) => {
    expect(parseCommand(text)).toEqual({ kind: 'malformed', verb, problem })
  })

  it.each([['收到'], ['通过了村口的检查站'], ['通过了'], ['发布会推迟到明天'], ['大家好'], ['帮助一下我家老人'], ['1']])('%j is not a command', text => {
    expect(parseCommand(text)).toBeUndefined()
  })
})
