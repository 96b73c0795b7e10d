import { describe, expect, it } from 'vitest'
import { diffChars } from '../../src/web/diff.ts'
import { beijingTime } from '../../src/web/command-centre.ts'
import { html, raw } from '../../src/web/html.ts'

describe('command centre helpers', () => {
  it('diffs a tier\'s edit character by character', () => {
    expect(diffChars('今晚八点停水', '今晚九点停水，请储水')).toEqual([
      { op: 'same', text: '今晚' }, { op: 'del', text: '八' }, { op: 'ins', text: '九' }, { op: 'same', text: '点停水' }, { op: 'ins', text: '，请储水' },
    ])
    expect(diffChars('同样', '同样')).toEqual([{ op: 'same', text: '同样' }])
    const long = diffChars('甲'.repeat(900), '乙'.repeat(900))
    expect(long.map(p => p.op)).toEqual(['del', 'ins'])
  })

  it('escapes every interpolated value unless marked as markup', () => {
    expect(html`<p title="${'"x"'}">${'<b>&'}${raw('<i>ok</i>')}${['<', raw('>')]}</p>`.s).toBe('<p title="&quot;x&quot;">&lt;b&gt;&amp;<i>ok</i>&lt;></p>')
  })

  it('reads a scheduled time as Beijing time', () => {
    expect(beijingTime('2026-11-30T20:30')).toBe(Date.parse('2026-11-30T12:30:00Z'))
    expect(beijingTime('2026-11-30 20:30')).toBeUndefined()
  })
})
