/** Finding personal codes typed in a group (issue 23, item 2): the candidates revoked on sight. */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { MAX_CODE_CANDIDATES, MAX_CODE_SCAN_CHARS, newPersonalCode, personalCodesIn } from '../../src/domain/announcement.ts'

const CODE = 'K7P2-QX9M-4TRW'

describe('personalCodesIn', () => {
  it('finds a code alone or inside a longer message, however it was typed', () => {
    for (const text of [CODE, 'k7p2qx9m4trw', 'K7P2 QX9M 4TRW', '我的识别码是k7p2-qx9m-4trw，麻烦帮我恢复', 'Ｋ７Ｐ２－ＱＸ９Ｍ－４ＴＲＷ', '@值守号\u2005绑定 K7P2—QX9M—4TRW', `第一行\n${CODE}\n谢谢`]) {
      expect(personalCodesIn(text), text).toContain(CODE)
    }
    // Glued to other letters: every 12 in a row is tried, the code among them.
    expect(personalCodesIn(`CODE${CODE}X`)).toContain(CODE)
  })

  it('finds nothing where no code can be (Chinese text, phone numbers, short codes, notices)', () => {
    for (const text of ['收到', '今晚八点起全村停水，请提前储水。', '电话 13800138000', '编号 A7K2', '邀请码 K7P2-QX9M', '']) {
      expect(personalCodesIn(text), text).toEqual([])
    }
  })

  it('finds every code of a message, and stops at the cap', () => {
    const codes = Array.from({ length: 3 }, () => newPersonalCode(randomBytes(12)))
    const found = personalCodesIn(codes.join('，'))
    for (const c of codes) expect(found).toContain(c)
    expect(personalCodesIn('ABCDEFGHJKLMNPQRSTUVWXYZ23456789'.repeat(100))).toHaveLength(32)
    // Looked for in the first MAX_CODE_SCAN_CHARS characters.
    expect(personalCodesIn('我'.repeat(MAX_CODE_SCAN_CHARS - 14) + CODE)).toEqual([CODE])
    expect(personalCodesIn('我'.repeat(MAX_CODE_SCAN_CHARS) + CODE)).toEqual([])
    expect(personalCodesIn(Array.from({ length: 400 }, () => newPersonalCode(randomBytes(12))).join('。'))).toHaveLength(MAX_CODE_CANDIDATES)
  })
})
