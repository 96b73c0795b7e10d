/**
 * A bare HTTP client of the simulated web-WeChat server for its own tests: logs an account in
 * (jslogin → scan → login poll → webwxnewloginpage) and makes each call as wechat4u would, with
 * answers and transport failures (reset, refused, hang) reported as values, not thrown.
 */
import http from 'node:http'
import type { WebWxServer } from '../../src/sim/webwx/server.ts'

export interface RawAnswer {
  status?: number
  text?: string
  json?: any
  headers?: http.IncomingHttpHeaders
  /** Transport failure: ECONNRESET, ECONNREFUSED, 'socket hang up', 'timeout'. */
  error?: string
}

const CGI = '/cgi-bin/mmwebwx-bin'

/** One HTTP request; `timeoutMs` reports 'timeout' (a hung answer) and drops the request. */
export function request(base: string, method: 'GET' | 'POST', path: string, o: { body?: unknown; cookie?: string; timeoutMs?: number } = {}): Promise<RawAnswer> {
  return new Promise(resolve => {
    const url = new URL(path, base)
    const data = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body))
    const headers: http.OutgoingHttpHeaders = {}
    if (data) { headers['content-type'] = 'application/json'; headers['content-length'] = data.length }
    if (o.cookie) headers.cookie = o.cookie
    const req = http.request(url, { method, headers, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('error', e => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: any
        try { json = JSON.parse(text) } catch { /* not JSON */ }
        resolve({ status: res.statusCode, text, json, headers: res.headers })
      })
    })
    req.on('error', e => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }))
    if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => { req.destroy(); resolve({ error: 'timeout' }) })
    req.end(data)
  })
}

export class RawClient {
  sid = ''
  uin = ''
  skey = ''
  syncKey: any
  constructor(readonly server: WebWxServer, readonly account: string) {}

  get base(): string { return this.server.url }
  get cookie(): string { return `wxsid=${this.sid}; wxuin=${this.uin}` }
  get baseRequest(): Record<string, unknown> { return { Uin: Number(this.uin), Sid: this.sid, Skey: this.skey, DeviceID: 'e123456789012345' } }

  /** The login up to webwxnewloginpage's answer (which is returned); on success the session's keys are kept. */
  async login(): Promise<RawAnswer> {
    const js = await request(this.base, 'GET', `${CGI}/jslogin?appid=wx782c26e4c19acffb`)
    const uuid = /uuid = "([^"]+)"/.exec(js.text ?? '')![1]!
    this.server.scan(uuid, this.account)
    let redirect: string | undefined
    for (let i = 0; i < 5 && !redirect; i++) {
      const poll = await request(this.base, 'GET', `${CGI}/login?uuid=${encodeURIComponent(uuid)}&tip=0`)
      redirect = /redirect_uri="([^"]+)"/.exec(poll.text ?? '')?.[1]
    }
    const u = new URL(redirect!)
    const page = await request(this.base, 'GET', `${u.pathname}${u.search}`)
    const m = (tag: string) => new RegExp(`<${tag}>(.*?)</${tag}>`).exec(page.text ?? '')?.[1] ?? ''
    if (page.status === 301) {
      this.sid = m('wxsid'); this.uin = m('wxuin'); this.skey = m('skey')
    }
    return page
  }

  async init(): Promise<RawAnswer> {
    const a = await request(this.base, 'POST', `${CGI}/webwxinit?r=1`, { body: { BaseRequest: this.baseRequest } })
    if (a.json?.BaseResponse?.Ret === 0) this.syncKey = a.json.SyncKey
    return a
  }

  getcontact(seq = 0, timeoutMs?: number): Promise<RawAnswer> {
    return request(this.base, 'GET', `${CGI}/webwxgetcontact?seq=${seq}&skey=${encodeURIComponent(this.skey)}&r=1`, { cookie: this.cookie, timeoutMs })
  }

  batchgetcontact(userNames: string[]): Promise<RawAnswer> {
    return request(this.base, 'POST', `${CGI}/webwxbatchgetcontact?type=ex&r=1`, {
      body: { BaseRequest: this.baseRequest, Count: userNames.length, List: userNames.map(u => ({ UserName: u, EncryChatRoomId: '' })) },
    })
  }

  synccheck(timeoutMs?: number): Promise<RawAnswer> {
    const key = (this.syncKey?.List ?? []).map((x: any) => `${x.Key}_${x.Val}`).join('|')
    const q = new URLSearchParams({ r: '1', sid: this.sid, uin: this.uin, skey: this.skey, deviceid: 'e1', synckey: key })
    return request(this.base, 'GET', `${CGI}/synccheck?${q}`, { timeoutMs })
  }

  async sync(timeoutMs?: number): Promise<RawAnswer> {
    const a = await request(this.base, 'POST', `${CGI}/webwxsync?sid=${this.sid}`, { body: { BaseRequest: this.baseRequest, SyncKey: this.syncKey, rr: 1 }, timeoutMs })
    if (a.json?.BaseResponse?.Ret === 0) this.syncKey = a.json.SyncKey
    return a
  }

  send(toUserName: string, text: string, timeoutMs?: number): Promise<RawAnswer> {
    const id = `${Date.now()}${Math.floor(Math.random() * 10_000)}`
    return request(this.base, 'POST', `${CGI}/webwxsendmsg?pass_ticket=x`, {
      body: { BaseRequest: this.baseRequest, Msg: { Type: 1, Content: text, FromUserName: '', ToUserName: toUserName, LocalID: id, ClientMsgId: id } },
      timeoutMs,
    })
  }

  /** A logged-in, initialised client. */
  static async ready(server: WebWxServer, account: string): Promise<RawClient> {
    const c = new RawClient(server, account)
    const page = await c.login()
    if (page.status !== 301) throw new Error(`login of ${account}: ${page.status} ${page.text}`)
    const init = await c.init()
    if (init.json?.BaseResponse?.Ret !== 0) throw new Error(`init of ${account}: ${init.text}`)
    return c
  }
}

/** The synccheck answer's retcode and selector (quoted or numeric). */
export function syncCheckOf(a: RawAnswer): { retcode: string; selector: string } | undefined {
  const m = /retcode:"?(\d+)"?,selector:"?(\d+)"?/.exec(a.text ?? '')
  return m ? { retcode: m[1]!, selector: m[2]! } : undefined
}
