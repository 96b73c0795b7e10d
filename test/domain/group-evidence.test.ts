import { describe, expect, it } from 'vitest'
import { groupEvidence } from '../../src/domain/group-evidence.ts'

describe('is a group under a configured name that group?', () => {
  const village = ['王建国', '李秀英', '张志强', '刘桂兰', '陈德明', '杨玉梅', '赵海燕', '黄国华']
  it('the same members, or most of them (some left, some joined, one renamed): the same group', () => {
    expect(groupEvidence(village, village).verdict).toBe('same')
    expect(groupEvidence(village, [...village.slice(2), '新来的', '又一个新来的']).verdict).toBe('same')
    expect(groupEvidence(village, [...village.slice(0, 4), '改了名的陈德明']).verdict).toBe('same')
    // A small staff group where one of two renamed.
    expect(groupEvidence(['李红', '王军'], ['李红（中子镇）', '王军']).verdict).toBe('same')
  })
  it('a look-alike holding the account and strangers, or one copied name in a big group: different', () => {
    expect(groupEvidence(village, ['路人甲']).verdict).toBe('different')
    expect(groupEvidence(village, ['路人甲', '路人乙', '王建国', '路人丙', '路人丁']).verdict).toBe('different')
    expect(groupEvidence(village, []).verdict).toBe('different')
    expect(groupEvidence(['李红', '王军'], ['路人甲']).verdict).toBe('different')
  })
  it('nothing recorded: nothing to compare', () => {
    expect(groupEvidence([], village)).toMatchObject({ verdict: 'no record', matched: 0, candidate: village.length })
  })
})
