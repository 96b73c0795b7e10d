/**
 * Sync endpoints of the simulated server: synccheck (the long poll: is anything pending?) and
 * webwxsync (hands over the session's queued events: AddMsgList, ModContactList).
 */
import type { WebWxCore } from './core.ts'
import { HttpFail, sendJson } from './http.ts'
import { baseResponse, parseFormattedSyncKey, parseSyncKeyObject, syncKey } from './protocol.ts'
import type { Call } from './types.ts'

export async function synccheck(core: WebWxCore, { q, res }: Call): Promise<void> {
  const s = core.sessionsBySid.get(q.get('sid') ?? '')
  if (!s || String(s.uin) !== q.get('uin') || s.skey !== q.get('skey')) return core.syncRet(res, 1101, 0)
  if (!s.alive) return core.syncRet(res, 1101, 0)
  const st = core.accountState(s.account)
  if (st.failSyncs > 0) {
    st.failSyncs--
    throw new HttpFail(500)
  }
  const d = core.faults.take('synccheck', { account: s.account })
  if (d && 'fault' in d) {
    if (d.fault.kind === 'ret') return core.syncRet(res, d.fault.ret, 0)
    return core.answerFault(res, d.fault, () => '')
  }
  const clientVal = parseFormattedSyncKey(q.get('synckey'))
  const clientSeq = clientVal === undefined ? s.acked : clientVal - s.base
  const pending = (): boolean => s.events.some(e => e.seq > clientSeq)
  await core.hold(s.waiters, core.opts.syncHoldMs, () => !s.alive || pending())
  if (!s.alive) return core.syncRet(res, 1101, 0)
  core.syncRet(res, 0, pending() ? 2 : 0)
}

/** A copy of a group record listing only its first member (MemberCount kept). */
function partialGroup(c: Record<string, unknown>): Record<string, unknown> {
  const list = c.MemberList
  if (!String(c.UserName).startsWith('@@') || !Array.isArray(list)) return c
  return { ...c, MemberList: list.slice(0, 1) }
}

export function webwxsync(core: WebWxCore, { body, res }: Call): void {
  const s = core.sessionFromBase(body)
  if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
  const st = core.accountState(s.account)
  if (st.failSyncs > 0) {
    st.failSyncs--
    throw new HttpFail(500)
  }
  const v = parseSyncKeyObject(body?.SyncKey)
  const clientSeq = v === undefined ? s.acked : v - s.base
  const upcoming = (): typeof s.events => s.events.filter(e => e.seq > clientSeq).slice(0, 100)
  const groupRecords = upcoming().some(e => String(e.contact?.UserName ?? '').startsWith('@@'))
  const d = core.faults.take('webwxsync', { account: s.account, groupRecords })
  if (d && 'fault' in d) return core.answerFault(res, d.fault, (ret, errMsg) => ({ BaseResponse: baseResponse(ret, errMsg) }))
  if (clientSeq > s.acked) s.acked = Math.min(clientSeq, s.seq)
  s.events = s.events.filter(e => e.seq > s.acked)
  const batch = upcoming()
  const newSeq = batch.length ? batch[batch.length - 1]!.seq : Math.max(clientSeq, s.acked)
  s.sent = Math.max(s.sent, newSeq)
  const msgs = batch.filter(e => e.msg).map(e => e.msg!)
  let contacts = batch.filter(e => e.contact).map(e => e.contact!)
  if (d && 'partialMembers' in d) contacts = contacts.map(partialGroup)
  const key = syncKey(newSeq, s.base)
  sendJson(res, {
    BaseResponse: baseResponse(), AddMsgCount: msgs.length, AddMsgList: msgs,
    ModContactCount: contacts.length, ModContactList: contacts, DelContactCount: 0, DelContactList: [],
    ModChatRoomMemberCount: 0, ModChatRoomMemberList: [],
    Profile: {
      BitFlag: 0, UserName: { Buff: '' }, NickName: { Buff: '' }, BindUin: 0, BindEmail: { Buff: '' },
      BindMobile: { Buff: '' }, Status: 0, Sex: 0, PersonalCard: 0, Alias: '', HeadImgUpdateFlag: 0, HeadImgUrl: '', Signature: '',
    },
    ContinueFlag: 0, SyncKey: key, SKey: '', SyncCheckKey: key,
  })
}
