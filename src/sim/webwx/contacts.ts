/**
 * Contact endpoints of the simulated server: webwxinit (the account, recent chats, the sync
 * key), webwxgetcontact (saved contacts and groups, paged) and webwxbatchgetcontact (full
 * records of named contacts).
 */
import type { WebWxCore } from './core.ts'
import { sendJson } from './http.ts'
import { baseResponse, syncKey } from './protocol.ts'
import { userRecord } from './records.ts'
import { FILEHELPER, type Call } from './types.ts'

export function webwxinit(core: WebWxCore, { body, res }: Call): void {
  const s = core.sessionFromBase(body)
  if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
  const now = Date.now()
  const recentGroups = core.world.groupsOf(s.account)
    .filter(g => g.lastActive > 0 && now - g.lastActive < core.opts.recentWindowMs)
    .sort((x, y) => y.lastActive - x.lastActive)
    .slice(0, 30)
  const d = core.faults.take('webwxinit', { account: s.account, groupRecords: recentGroups.length > 0 })
  if (d && 'fault' in d) return core.answerFault(res, d.fault, (ret, errMsg) => ({ BaseResponse: baseResponse(ret, errMsg) }))
  const partial = !!d && 'partialMembers' in d
  const recent = recentGroups.map(g => core.entryFor(s, g.key, partial ? 'partial' : undefined))
  const chatSet = [FILEHELPER, ...recent.map(c => c.UserName as string)].join(',')
  sendJson(res, {
    BaseResponse: baseResponse(), Count: recent.length, ContactList: recent,
    SyncKey: syncKey(s.acked, s.base), User: userRecord(core.world, s), ChatSet: chatSet, SKey: s.skey,
    ClientVersion: 1661534006, SystemTime: Math.floor(now / 1000), GrayScale: 1, InviteStartCount: 40,
    MPSubscribeMsgCount: 0, MPSubscribeMsgList: [], ClickReportInterval: 600000,
  })
}

export function getcontact(core: WebWxCore, { req, q, res }: Call): void {
  const s = core.sessionFromCookies(req, q.get('skey') ?? '')
  const from = Math.max(0, Number(q.get('seq') ?? 0) || 0)
  if (!s) return sendJson(res, { BaseResponse: baseResponse(1101), MemberCount: 0, MemberList: [], Seq: 0 })
  const d = core.faults.take('webwxgetcontact', { account: s.account, page: from > 0 ? 'later' : 'first' })
  if (d && 'fault' in d) {
    return core.answerFault(res, d.fault, (ret, errMsg) => ({ BaseResponse: baseResponse(ret, errMsg), MemberCount: 0, MemberList: [], Seq: 0 }))
  }
  const all: string[] = [
    FILEHELPER,
    ...core.world.friendsOf(s.account),
    ...core.world.savedGroupsOf(s.account).map(g => g.key),
  ]
  const size = core.opts.contactPageSize
  const page = all.slice(from, from + size).map(k => core.entryFor(s, k, core.opts.fullGroupsInContactList ? undefined : 'none'))
  const next = from + size < all.length ? from + size : 0
  sendJson(res, { BaseResponse: baseResponse(), MemberCount: page.length, MemberList: page, Seq: next })
}

export function batchgetcontact(core: WebWxCore, { body, res }: Call): void {
  const s = core.sessionFromBase(body)
  if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
  const d = core.faults.take('webwxbatchgetcontact', { account: s.account })
  if (d && 'fault' in d) {
    return core.answerFault(res, d.fault, (ret, errMsg) => ({ BaseResponse: baseResponse(ret, errMsg), Count: 0, ContactList: [] }))
  }
  const list: { UserName?: string }[] = Array.isArray(body?.List) ? body.List : []
  const out: Record<string, unknown>[] = []
  for (const item of list) {
    const name = String(item?.UserName ?? '')
    const key = name === FILEHELPER ? FILEHELPER : s.keys.get(name)
    if (key) out.push(core.entryFor(s, key, 'full'))
  }
  sendJson(res, { BaseResponse: baseResponse(), Count: out.length, ContactList: out })
}
