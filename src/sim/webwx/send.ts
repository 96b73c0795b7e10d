/**
 * Endpoints of the simulated server that act for the account: webwxsendmsg, webwxrevokemsg,
 * webwxoplog (remarks) and webwxlogout.
 */
import type { WebWxCore } from './core.ts'
import { sendJson } from './http.ts'
import { addMsgRecord, baseResponse } from './protocol.ts'
import { FILEHELPER, type Call } from './types.ts'

export function sendmsg(core: WebWxCore, { body, res }: Call): void {
  const s = core.sessionFromBase(body)
  const answer = (ret: number, errMsg = '', msgId = '', localId = ''): void =>
    sendJson(res, { BaseResponse: baseResponse(ret, errMsg), MsgID: msgId, LocalID: localId })
  if (!s) return answer(1101)
  const st = core.accountState(s.account)
  const msg = body?.Msg ?? {}
  const localId = String(msg.LocalID ?? msg.ClientMsgId ?? '')
  const to = String(msg.ToUserName ?? '')
  const toKey = to === FILEHELPER ? FILEHELPER : s.keys.get(to)
  const text = String(msg.Content ?? '')
  if (st.hangNext) {
    const { deliver } = st.hangNext
    st.hangNext = undefined
    if (deliver && toKey) core.deliverFromClient(s, toKey, text)
    return core.hang(res)
  }
  if (st.tooFrequent > 0) {
    st.tooFrequent--
    return answer(1205)
  }
  if (core.faults.sendLoggedOut(s.account)) return answer(1101)
  const d = core.faults.take('webwxsendmsg', { account: s.account })
  if (d && 'fault' in d) {
    const f = d.fault
    if (f.kind === 'delivered-error' || (f.kind === 'hang' && f.deliver)) {
      const msgId = toKey ? core.deliverFromClient(s, toKey, text) : undefined
      if (f.kind === 'hang') return core.hang(res)
      return answer(f.ret, '', msgId ?? '', localId)
    }
    return core.answerFault(res, f, (ret, errMsg) => ({ BaseResponse: baseResponse(ret, errMsg), MsgID: '', LocalID: '' }))
  }
  if (!toKey) return answer(1)
  const msgId = core.deliverFromClient(s, toKey, text)
  if (!msgId) return answer(1)
  answer(0, '', msgId, localId)
}

export function revokemsg(core: WebWxCore, { body, res }: Call): void {
  const s = core.sessionFromBase(body)
  if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
  const ok = revoke(core, s.account, String(body?.SvrMsgId ?? ''))
  sendJson(res, { BaseResponse: baseResponse(ok ? 0 : 1), Introduction: '', SysWording: '' })
}

/** `account` revokes its message `msgId`: marked in the record, every viewer told (MsgType 10002). */
function revoke(core: WebWxCore, account: string, msgId: string): boolean {
  const { world } = core
  const gm = [...world.groupLog.entries()].flatMap(([g, list]) => list.map(m => ({ g, m }))).find(x => x.m.msgId === msgId)
  const dm = gm ? undefined : world.dmLog.find(m => m.msgId === msgId)
  const rec = gm?.m ?? dm
  if (!rec || rec.from !== account || rec.revoked) return false
  rec.revoked = true
  const createTime = Math.floor(Date.now() / 1000)
  const notify = (viewer: string, conversation: string): void => {
    const s = core.liveSession(viewer)
    if (!s) return
    const conv = core.userNameIn(s, conversation)
    const name = world.person(account).nickname
    const replace = viewer === account ? '你撤回了一条消息' : `"${name}" 撤回了一条消息`
    const sys = `&lt;sysmsg type="revokemsg"&gt;&lt;revokemsg&gt;&lt;session&gt;${conv}&lt;/session&gt;&lt;oldmsgid&gt;1000000000&lt;/oldmsgid&gt;&lt;msgid&gt;${msgId}&lt;/msgid&gt;&lt;replacemsg&gt;&lt;![CDATA[${replace}]]&gt;&lt;/replacemsg&gt;&lt;/revokemsg&gt;&lt;/sysmsg&gt;`
    const self = core.userNameIn(s, viewer)
    const content = conv.startsWith('@@') && viewer !== account ? `${core.userNameIn(s, account)}:<br/>${sys}` : sys
    core.push(s, { msg: addMsgRecord({ msgId: core.nextMsgId(), from: viewer === account ? self : conv, to: viewer === account ? conv : self, content, createTime, msgType: 10002 }) })
  }
  if (gm) {
    for (const m of world.group(gm.g).members) if (core.accounts.has(m)) notify(m, gm.g)
  } else if (dm) {
    if (core.accounts.has(dm.to)) notify(dm.to, dm.from)
    notify(account, dm.to)
  }
  return true
}

export function oplog(core: WebWxCore, { body, res }: Call): void {
  const s = core.sessionFromBase(body)
  if (!s) return sendJson(res, { BaseResponse: baseResponse(1101) })
  const key = s.keys.get(String(body?.UserName ?? ''))
  if (!key) return sendJson(res, { BaseResponse: baseResponse(1) })
  if (Number(body?.CmdId) === 2 && core.remarksStored) {
    core.world.setRemark(s.account, key, String(body?.RemarkName ?? ''))
    core.push(s, { contact: core.entryFor(s, key, 'full') })
  }
  sendJson(res, { BaseResponse: baseResponse() })
}

export function logout(core: WebWxCore, { req, q, res }: Call): void {
  const s = core.sessionFromCookies(req, q.get('skey'))
  if (s) core.endSession(s, 'logout')
  res.writeHead(200, { 'content-type': 'text/html' })
  res.end('')
}
