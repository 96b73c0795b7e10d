/**
 * The command centre's sign-in pages: as a person of people.yaml with a one-time code sent to
 * their WeChat (person-signin.ts), or as ops with CASCADE_API_TOKEN. Both forms are protected by a
 * pre-session cookie matched against a field; wrong tokens and wrong codes count on the address's
 * sign-in limit (SignInLimit) before they are compared.
 *
 *   GET  /cc/login             both forms
 *   POST /cc/login/code        {who}: a code to the person's WeChat → the code form (alike for every
 *                              name: whether it is in people.yaml is not told; the address limit is)
 *   POST /cc/login/verify      {who, code} → session (person)
 *   POST /cc/login             {token} → session (ops)
 */
import express, { type Request, type Response } from 'express'
import type { Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import { html, layout, type Html } from './html.ts'
import { addressBucket, type SignInLimit } from './http-guards.ts'
import { browserOf, CODE_TTL_SECONDS, PersonSignIn } from './person-signin.ts'
import { parseCookies, randomToken, sameSecret, type Sessions } from './session.ts'

export const SID = 'cc_sid'
const PRE = 'cc_pre'
/** A wrong token or code is answered after this pause (slows guessing). */
const WRONG_DELAY_MS = 400

export function cookie(name: string, value: string, req: Request, maxAge: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/cc; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${req.secure ? '; Secure' : ''}`
}

/** A browser's request from another site: refused for every POST. */
export function crossSite(req: Request): boolean {
  if (req.get('sec-fetch-site') === 'cross-site') return true
  const origin = req.get('origin')
  if (!origin) return false
  try { return new URL(origin).host !== req.get('host') } catch { return true }
}

export function page(res: Response, status: number, body: string): void {
  res.status(status).type('html').set('Cache-Control', 'no-store').send(body)
}

export interface SignInDeps {
  app: Cascade
  log: Logger
  token?: string
  sessions: Sessions
  limit: SignInLimit
  form: express.RequestHandler
}

export function mountSignIn(r: express.Router, o: SignInDeps): void {
  const { app, log, sessions, limit } = o
  const codes = new PersonSignIn(app)

  const pre = (req: Request, res: Response) => {
    const v = parseCookies(req.get('cookie'))[PRE] || randomToken(18)
    res.append('Set-Cookie', cookie(PRE, v, req, 3600))
    return v
  }
  const show = (res: Response, status: number, live: Html) => page(res, status, layout({ title: '登录', live }))
  const problemP = (p?: string) => p ? html`<p class="problem" role="alert">${p}</p>` : ''

  const loginPage = (res: Response, req: Request, status: number, problem?: string, who = '') => {
    const v = pre(req, res)
    show(res, status, html`<h1>Cascade 指挥中心</h1>
${problemP(problem)}
<form method="post" action="/cc/login/code" class="person-login">
<input type="hidden" name="_csrf" value="${v}">
<label>您的编号或姓名（与名单 people.yaml 一致）<input type="text" name="who" value="${who}" autocomplete="username" required autofocus></label>
<p class="legend">验证码会由值守号私聊发到您绑定的微信，5 分钟内有效。不设密码。</p>
<button type="submit">发送验证码</button>
</form>
${o.token ? html`<details class="ops-login"${problem === '令牌不正确。' ? html` open` : ''}><summary>运维：用访问令牌登录</summary>
<form method="post" action="/cc/login" class="login">
<input type="hidden" name="_csrf" value="${v}">
<label>访问令牌（CASCADE_API_TOKEN）<input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">登录</button>
</form></details>` : ''}`)
  }

  // The same page for every name typed in: it tells neither whether the name is in people.yaml nor
  // whether a code went out (that only the person's own WeChat shows); it lists what to check.
  const codePage = (res: Response, req: Request, status: number, who: string, problem?: string) => {
    const v = pre(req, res)
    show(res, status, html`<h1>输入验证码</h1>
${problemP(problem)}
<p>如果“${who}”在名单中、有职务并已绑定微信，验证码已由值守号私聊发到其微信，${CODE_TTL_SECONDS / 60} 分钟内有效，只能用一次。</p>
<form method="post" action="/cc/login/verify" class="code-login">
<input type="hidden" name="_csrf" value="${v}">
<input type="hidden" name="who" value="${who}">
<label>验证码（6 位数字）<input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus></label>
<button type="submit">登录</button>
</form>
<details class="no-code"><summary>没有收到验证码？</summary><ul>
<li>编号或姓名须与名单（people.yaml）一致；与他人同名时请填写编号。</li>
<li>还没有绑定微信：请向区指挥部运维要邀请码，私聊值守号绑定后再登录。</li>
<li>值守号暂时不在线，或 15 分钟内已请求过 3 次：请稍后再试，或联系运维。</li>
</ul></details>
<p><a href="/cc/login">换一个人 / 重新发送</a></p>`)
  }

  /** The pre-session check of every sign-in POST. */
  const forged = (req: Request, body: Record<string, string>) => crossSite(req) || !sameSecret(parseCookies(req.get('cookie'))[PRE], body._csrf)

  const signedIn = async (req: Request, res: Response, person?: string) => {
    const { id } = await sessions.create(Date.now(), req.ip, person)
    log.info('cc.login', { person: person ?? 'ops' })
    res.append('Set-Cookie', cookie(SID, id, req, sessions.ttlSeconds))
    res.append('Set-Cookie', cookie(PRE, '', req, 0))
    res.redirect(303, '/cc/')
  }

  r.get('/login', (req, res) => { loginPage(res, req, 200) })

  r.post('/login/code', o.form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>
    if (forged(req, body)) { loginPage(res, req, 403, '请求已过期，请重新登录。'); return }
    const who = String(body.who ?? '').trim()
    if (!who) { loginPage(res, req, 400, '请填写您的编号或姓名。'); return }
    const asked = await codes.request(who, addressBucket(req.ip), `${req.ip ?? '未知地址'}，${browserOf(req.get('user-agent'))}`)
    if ('limited' in asked) {
      log.warn('cc.code-limited', { retryAfter: asked.limited })
      res.set('Retry-After', String(asked.limited))
      loginPage(res, req, 429, `本机请求验证码过于频繁，请 ${Math.ceil(asked.limited / 60)} 分钟后再试。`, who)
      return
    }
    // Person ids only: a name typed in that is nobody's is not logged.
    log.info('cc.code-requested', { person: asked.person, sent: asked.sent, why: asked.why })
    codePage(res, req, 200, who)
  })

  r.post('/login/verify', o.form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>
    const who = String(body.who ?? '').trim()
    if (forged(req, body)) { loginPage(res, req, 403, '请求已过期，请重新登录。'); return }
    const address = addressBucket(req.ip)
    const wait = await limit.take(address)
    if (wait !== undefined) {
      res.set('Retry-After', String(wait))
      codePage(res, req, 429, who, `尝试过于频繁，请 ${wait} 秒后再试。`)
      return
    }
    // A name that is nobody's (or several people's) has no code: answered as a spent one.
    const person = codes.find(who)
    const checked = person && person !== 'ambiguous' ? await codes.check(person, String(body.code ?? '')) : 'void'
    if (checked !== 'ok') {
      log.warn('cc.code-wrong', { person: person !== 'ambiguous' ? person : undefined, void: checked === 'void' })
      await new Promise(resolve => setTimeout(resolve, WRONG_DELAY_MS))
      // Wrong and spent alike: a difference would tell that a code is waiting, i.e. who is in people.yaml.
      codePage(res, req, 401, who, '验证码不正确或已失效（已用过、已过期或错误次数过多），可重新获取。')
      return
    }
    await limit.giveBack(address)
    await signedIn(req, res, person as string)
  })

  r.post('/login', o.form, async (req, res) => {
    if (!o.token) { res.status(503).type('text').send('CASCADE_API_TOKEN is not set on the server'); return }
    const body = (req.body ?? {}) as Record<string, string>
    if (forged(req, body)) {
      log.warn('cc.csrf-refused', { route: 'login' })
      loginPage(res, req, 403, '请求已过期，请重新登录。')
      return
    }
    // Per address (behind a proxy: as CASCADE_TRUST_PROXY reads it), taken before the comparison
    // so that parallel guesses count too; a right token gives its try back.
    const address = addressBucket(req.ip)
    const wait = await limit.take(address)
    if (wait !== undefined) {
      log.warn('cc.login-limited', { retryAfter: wait })
      res.set('Retry-After', String(wait))
      loginPage(res, req, 429, `登录尝试过于频繁，请 ${wait} 秒后再试。`)
      return
    }
    if (!sameSecret(body.token, o.token)) {
      log.warn('cc.login-refused', {})
      await new Promise(resolve => setTimeout(resolve, WRONG_DELAY_MS))
      loginPage(res, req, 401, '令牌不正确。')
      return
    }
    await limit.giveBack(address)
    await signedIn(req, res)
  })
}
