import { describe, expect, it } from 'vitest'
import { decodeWebText, echoKey, EchoWaits } from '../../src/chat/echo.ts'
import { parseCommand } from '../../src/domain/commands.ts'
import { newPersonalCode } from '../../src/domain/announcement.ts'

describe('echo matching', () => {
  it('decodes what web WeChat does to a text: entities, line breaks, emoji spans', () => {
    expect(decodeWebText('A &amp;amp; B &lt;通知&gt;<br/>第二行 <span class="emoji emoji1f604"></span>')).toBe('A & B <通知>\n第二行 😄')
  })

  it('confirms a post whose echo came back escaped, without FE0F, or as one piece between ":\\n"', () => {
    const waits = new EchoWaits<string>()
    waits.add('西村村民群', '【紧急】停水通知:\n明天 8:00-12:00 停水 & 请储水 ⚠️', 'cut')
    waits.add('西村村民群', '防汛 <一级> 响应 ❤️ 请转告', 'escaped')
    expect(waits.take('西村村民群', '防汛 &lt;一级&gt; 响应 ❤ 请转告')?.value).toBe('escaped')
    expect(waits.take('西村村民群', '明天 8:00-12:00 停水 &amp; 请储水 ⚠')?.value).toBe('cut')
    expect(waits.size).toBe(0)
  })

  it('matches in the group only, the oldest first, and never a different text', () => {
    const waits = new EchoWaits<number>()
    waits.add('A群', '同一条通知内容', 1)
    waits.add('A群', '同一条通知内容', 2)
    expect(waits.take('B群', '同一条通知内容')).toBeUndefined()
    expect(waits.take('A群', '另一条完全不同的通知内容')).toBeUndefined()
    expect(waits.take('A群', '同一条通知内容')?.value).toBe(1)
    expect(waits.take('A群', '同一条通知内容')?.value).toBe(2)
  })

  it('a short echo confirms only a post as short as itself', () => {
    const waits = new EchoWaits<string>()
    waits.add('A群', '今晚八点全村开会，请每户派一人参加，带好笔记本', 'long')
    expect(waits.take('A群', '今晚')).toBeUndefined()
    expect(echoKey('今晚八点全村开会，请每户派一人参加').length).toBeGreaterThan(12)
    expect(waits.take('A群', '今晚八点全村开会，请每户派一人参加')?.value).toBe('long')
  })

  it('waits whose echo never comes expire', () => {
    let now = 0
    const waits = new EchoWaits<string>(1000, () => now)
    waits.add('A群', '通知一', 'a')
    now = 500
    waits.add('A群', '通知二', 'b')
    now = 1200
    expect(waits.expire().map(w => w.value)).toEqual(['a'])
    expect(waits.size).toBe(1)
  })
})

describe('personal codes', () => {
  it('are 12 characters of the unambiguous alphabet and parse as a re-binding, with or without dashes', () => {
    const code = newPersonalCode(new Uint8Array(12).map((_, i) => i * 37))
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
    expect(parseCommand(code)).toEqual({ kind: 'rebind', personal: code })
    expect(parseCommand(`绑定 ${code.replace(/-/g, '').toLowerCase()}`)).toEqual({ kind: 'rebind', personal: code })
    // an invite is still an invite
    expect(parseCommand('K7P2-QX9M')).toEqual({ kind: 'bind', invite: 'K7P2-QX9M' })
  })
})
