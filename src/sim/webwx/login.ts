/** Login endpoints of the simulated server: jslogin (a QR uuid), the login poll, webwxnewloginpage (the session). */
import type { WebWxCore } from './core.ts'
import { sendJs } from './http.ts'
import { newTicket, newUuid, randomHex, TINY_GIF } from './protocol.ts'
import { CGI, type Call } from './types.ts'

export function jslogin(core: WebWxCore, { res }: Call): void {
  const uuid = newUuid()
  core.attempts.set(uuid, { uuid, createdAt: Date.now(), state: 'waiting', reportedScan: false, waiters: new Set() })
  for (const [k, a] of core.attempts) if (Date.now() - a.createdAt > 2 * core.opts.uuidTtlMs) core.attempts.delete(k)
  sendJs(res, `window.QRLogin.code = 200; window.QRLogin.uuid = "${uuid}";`)
}

export async function loginPoll(core: WebWxCore, { q, res }: Call): Promise<void> {
  const a = core.attempts.get(q.get('uuid') ?? '')
  const expired = (): boolean => !!a && a.state === 'waiting' && Date.now() - a.createdAt >= core.opts.uuidTtlMs
  if (!a || expired() || a.state === 'done') return sendJs(res, 'window.code=400;')
  await core.hold(a.waiters, core.opts.loginHoldMs, () => a.state !== 'waiting')
  if (a.state === 'confirmed' && !a.reportedScan) {
    a.reportedScan = true
    return sendJs(res, `window.code=201;window.userAvatar = 'data:img/jpg;base64,${TINY_GIF.toString('base64')}';`)
  }
  if (a.state === 'confirmed' || a.state === 'redirected') {
    a.state = 'redirected'
    a.ticket ??= newTicket()
    const uri = `https://${core.opts.host}${CGI}/webwxnewloginpage?ticket=${a.ticket}&uuid=${a.uuid}&lang=zh_CN&scan=${Math.floor(Date.now() / 1000)}`
    return sendJs(res, `window.code=200;\nwindow.redirect_uri="${uri}";`)
  }
  if (expired()) return sendJs(res, 'window.code=400;')
  sendJs(res, 'window.code=408;')
}

function loginError(res: Call['res'], ret: number, message: string): void {
  res.writeHead(200, { 'content-type': 'text/plain' })
  res.end(`<error><ret>${ret}</ret><message>${message}</message></error>`)
}

export function newLoginPage(core: WebWxCore, { q, res }: Call): void {
  const ticket = q.get('ticket')
  const a = ticket ? [...core.attempts.values()].find(x => x.ticket === ticket && x.state === 'redirected') : undefined
  if (!a || !a.account) return loginError(res, 1203, '当前登录环境异常。为了你的帐号安全，暂时不能登录web微信。')
  const barred = core.faults.barredLogin(a.account)
  if (barred !== undefined) {
    a.state = 'done'
    return loginError(res, 1203, barred)
  }
  const d = core.faults.take('webwxnewloginpage', { account: a.account })
  if (d && 'fault' in d) {
    if (d.fault.kind === 'ret') {
      a.state = 'done'
      return loginError(res, d.fault.ret, d.fault.errMsg ?? '')
    }
    return core.answerFault(res, d.fault, (ret, errMsg) => ({ ret, errMsg }))
  }
  a.state = 'done'
  const s = core.newSession(a.account)
  const expires = new Date(Date.now() + 12 * 3600_000).toUTCString()
  const dom = `Domain=${core.opts.host}; Path=/; Expires=${expires}`
  const cookies = [
    `wxuin=${s.uin}; ${dom}`,
    `wxsid=${s.sid}; ${dom}`,
    `wxloadtime=${Math.floor(Date.now() / 1000)}; ${dom}`,
    `mm_lang=zh_CN; ${dom}`,
    `webwx_data_ticket=${s.dataTicket}; Domain=.qq.com; Path=/; Expires=${expires}`,
    `webwxuvid=${randomHex(32)}; ${dom}`,
    `webwx_auth_ticket=${s.authTicket}; ${dom}`,
  ]
  res.writeHead(301, { 'content-type': 'text/plain', 'set-cookie': cookies })
  res.end(`<error><ret>0</ret><message></message><skey>${s.skey}</skey><wxsid>${s.sid}</wxsid><wxuin>${s.uin}</wxuin><pass_ticket>${s.passTicket}</pass_ticket><isgrayscale>1</isgrayscale></error>`)
}
