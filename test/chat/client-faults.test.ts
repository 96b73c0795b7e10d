/**
 * The pure parts of surviving real WeChat's faults: what a group system message means, whether a
 * failed send was refused or may have posted, what a refused login page says, how long to wait
 * before trying again, how partial member lists are kept, and the state /readyz gives.
 */
import { describe, expect, it } from 'vitest'
import { parseGroupSystemText, retryDelay } from '../../src/chat/client-events.ts'
import { classifySendFailure, SendTimeout } from '../../src/chat/send-outcome.ts'
import { loginRefusal } from '../../src/chat/wechat4u-session.ts'
import { hasFullMembers, mergeMembers } from '../../src/chat/wechat4u-contacts.ts'
import { accountState, type BotHealthRecord } from '../../src/infra/bot-health.ts'

const answered = (ret: number) => Object.assign(new Error(`${ret} == 0`), { response: { status: 200, data: { BaseResponse: { Ret: ret } } } })
const http = (status: number) => Object.assign(new Error(`Request failed with status code ${status}`), { response: { status, data: '' } })
const net = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code })

describe('group system messages', () => {
  it('are told apart in both quote styles; chat is not one', () => {
    expect(parseGroupSystemText('@@g', '你被"李红"移出群聊')).toEqual({ kind: 'removed', roomId: '@@g', by: '李红' })
    expect(parseGroupSystemText('@@g', '"王五"修改群名为“西村闲聊”')).toEqual({ kind: 'renamed', roomId: '@@g', by: '王五', topic: '西村闲聊' })
    expect(parseGroupSystemText('@@g', '"王五"修改群名为"西村闲聊"')).toMatchObject({ kind: 'renamed', topic: '西村闲聊' })
    expect(parseGroupSystemText('@@g', '"王五"邀请"赵六"加入了群聊')).toEqual({ kind: 'joined', roomId: '@@g', by: '王五', member: '赵六' })
    expect(parseGroupSystemText('@@g', '"王五"将"赵六"移出了群聊')).toEqual({ kind: 'member-removed', roomId: '@@g', by: '王五', member: '赵六' })
    expect(parseGroupSystemText('@@g', '"赵六"通过扫描"王五"分享的二维码加入群聊')).toMatchObject({ kind: 'joined', member: '赵六' })
    expect(parseGroupSystemText('@@g', '大家好，明天修改群名为西村群')).toBeUndefined()
    expect(parseGroupSystemText('@@g', '收到')).toBeUndefined()
  })
})

describe('a failed send', () => {
  it('is refused only when WeChat said it was not posted; otherwise its outcome is unknown', () => {
    expect(classifySendFailure(answered(1205))).toBe('too-frequent')
    expect(classifySendFailure(answered(1))).toBe('refused')
    expect(classifySendFailure(answered(1101))).toBe('logged-out')
    expect(classifySendFailure(answered(1100))).toBe('logged-out')
    expect(classifySendFailure(answered(1204))).toBe('unknown') // delivered although it errs
    expect(classifySendFailure(answered(-1))).toBe('unknown')
    expect(classifySendFailure(http(502))).toBe('unknown')
    expect(classifySendFailure(http(404))).toBe('refused')
    expect(classifySendFailure(new SendTimeout('no answer'))).toBe('unknown')
    expect(classifySendFailure(net('ECONNRESET'))).toBe('unknown')
    expect(classifySendFailure(new Error('socket hang up'))).toBe('unknown')
    expect(classifySendFailure(net('ECONNREFUSED'))).toBe('unreachable')
    expect(classifySendFailure(net('ENOTFOUND'))).toBe('unreachable')
    expect(classifySendFailure(new Error('group "x" not found in this account'))).toBe('refused')
  })
})

describe('a refused web login', () => {
  it("is read from the login page with WeChat's own words; a good page is not one", () => {
    expect(loginRefusal('<error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。</message></error>')).toBe('ret 1203: 为了你的帐号安全，此微信号不能登录网页微信。')
    expect(loginRefusal('<error><ret>0</ret><message></message><skey>@crypt_1</skey></error>')).toBeUndefined()
    expect(loginRefusal(undefined)).toBeUndefined()
    expect(loginRefusal('')).toBeUndefined()
  })
})

describe('retries', () => {
  it('double up to the cap, within ±20 %', () => {
    const mid = () => 0.5
    expect([1, 2, 3, 4, 10, 40].map(n => retryDelay(n, 5000, 600_000, mid))).toEqual([5000, 10_000, 20_000, 40_000, 600_000, 600_000])
    expect(retryDelay(1, 5000, 600_000, () => 0)).toBe(4000)
    expect(retryDelay(1, 5000, 600_000, () => 1)).toBe(6000)
  })
})

describe('member lists', () => {
  it('a partial or empty record keeps the members known, newer names winning; a full one is taken as it is', () => {
    const known = [{ UserName: '@a', NickName: '甲' }, { UserName: '@b', NickName: '乙' }, { UserName: '@c', NickName: '丙' }]
    expect(hasFullMembers({ UserName: '@@g', MemberCount: 3, MemberList: [known[0]] })).toBe(false)
    expect(hasFullMembers({ UserName: '@@g', MemberCount: 0, MemberList: [] })).toBe(false)
    expect(hasFullMembers({ UserName: '@@g', MemberCount: 2, MemberList: known.slice(0, 2) })).toBe(true)
    expect(hasFullMembers({ UserName: '@@g', MemberList: known })).toBe(true)
    const merged = mergeMembers(known, [{ UserName: '@b', NickName: '乙改名' }])
    expect(merged.map(m => m.NickName)).toEqual(['甲', '乙改名', '丙'])
  })
})

describe('the state /readyz gives', () => {
  const base: BotHealthRecord = { missingGroups: [], missingPeople: [], strikes: 0, relogins: 0, loginAt: 1000 }
  it('says what a logged-in account in trouble is doing, and a barred one', () => {
    expect(accountState(base, true).state).toBe('logged in')
    expect(accountState({ ...base, trouble: { state: 'reconnecting', since: 2000, why: 'WeChat answered 1205 (操作太频繁)', nextAt: 9000 } }, true)).toMatchObject({ state: 'reconnecting', since: 2000 })
    expect(accountState({ ...base, trouble: { state: 'sync stalled', since: 2000, why: 'no sync for 61 s' } }, true).state).toBe('sync stalled')
    expect(accountState({ ...base, contacts: { since: 3000, why: 'HTTP 503', attempts: 4 } }, true).state).toBe('loading contacts')
    const barred = accountState({ ...base, barred: { at: 5000, why: 'ret 1203: 此微信号不能登录网页微信' } }, false)
    expect(barred.state).toBe('barred from web WeChat')
    expect(barred.why).toContain('此微信号不能登录网页微信')
    // A login since the refusal: it is no longer barred.
    expect(accountState({ ...base, barred: { at: 500, why: 'x' } }, true).state).toBe('logged in')
  })
})
