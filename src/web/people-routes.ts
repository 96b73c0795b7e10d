/**
 * Ops only: who can act. Invites not yet used (listed, revoked), people bound to WeChat (listed,
 * unbound — their command centre sessions end at their next request), people not bound yet.
 * Not a live page: its forms carry the CSRF token. The CLI has the same: `cascade invites`,
 * `cascade people`.
 *
 *   GET  /cc/people
 *   POST /cc/people/invites/revoke   {code}
 *   POST /cc/people/unbind           {person, confirm}
 */
import type express from 'express'
import type { Logger } from '../infra/log.ts'
import type { Cascade } from '../spine/cascade.ts'
import { PeopleAdmin } from '../store/people-admin.ts'
import { chrome, notFound, type Authed } from './chrome.ts'
import { html, layout } from './html.ts'
import type { LiveHub } from './live.ts'
import type { Sessions } from './session.ts'
import { page } from './signin-routes.ts'

interface Deps { app: Cascade; log: Logger; sessions: Sessions; hub: LiveHub }

export function mountPeople(r: express.Router, { app, log, sessions }: Deps): void {
  const admin = new PeopleAdmin(app.store.redis, app.store.keys)
  const opsOnly: express.RequestHandler = (_req, res, next) => {
    if ((res.locals.auth as Authed).scope.ops) next()
    else notFound(res, res.locals.auth as Authed, app)
  }

  r.get('/people', opsOnly, async (_req, res) => {
    const auth = res.locals.auth as Authed
    const csrf = html`<input type="hidden" name="_csrf" value="${auth.session.csrf}">`
    const [invites, bound, flash] = await Promise.all([admin.invites(), admin.bound(app.cfg.people.keys()), sessions.takeFlash(auth.sid, auth.session)])
    const withRole = [...app.cfg.people.values()].filter(p => app.hasRole(p.id))
    const unbound = withRole.filter(p => !bound.has(p.id))
    const hours = (s: number) => s >= 3600 ? `${Math.floor(s / 3600)} 小时` : `${Math.max(1, Math.round(s / 60))} 分钟`
    page(res, 200, layout({
      title: '人员', section: '/cc/people', ...chrome(app, auth), flash,
      live: html`<h1>人员与邀请</h1>
<h2>未使用的邀请码（${invites.length}）</h2>
${invites.length ? html`<table class="people invites"><thead><tr><th>邀请码</th><th>给</th><th>剩余</th><th></th></tr></thead><tbody>${invites.map(i => html`<tr data-invite="${i.code}"><td><code>${i.code}</code></td><td>${app.personName(i.person)}</td><td>${hours(i.expiresInSeconds)}</td>
<td><form method="post" action="/cc/people/invites/revoke">${csrf}<input type="hidden" name="code" value="${i.code}"><button type="submit" class="danger">作废</button></form></td></tr>`)}</tbody></table>` : html`<p class="empty">没有未使用的邀请码（cascade invite --person &lt;编号&gt; 生成）。</p>`}
<h2>已绑定微信（${bound.size}）</h2>
<table class="people bound"><thead><tr><th>姓名</th><th>职务</th><th>绑定的值守号</th><th></th></tr></thead><tbody>${[...bound].map(([id, bots]) => html`<tr data-person="${id}"><td>${app.personName(id)} <small>${id}</small></td><td>${app.dir.rolesText(id)}</td><td>${Object.keys(bots).map(b => app.cfg.bots.get(b)?.name ?? b).join('、')}</td>
<td><form method="post" action="/cc/people/unbind">${csrf}<input type="hidden" name="person" value="${id}"><label class="check"><input type="checkbox" name="confirm" value="yes" required> 确认</label><button type="submit" class="danger">解除绑定</button></form></td></tr>`)}</tbody></table>
<h2>未绑定（${unbound.length}）</h2>
${unbound.length ? html`<ul class="names unbound">${unbound.map(p => html`<li>${p.name} <small>${p.id} · ${app.dir.rolesText(p.id)}</small></li>`)}</ul>` : html`<p class="empty">有职务的人都已绑定。</p>`}
<p class="legend">解除绑定后，此人需用新的邀请码重新绑定；其指挥中心登录随即失效。</p>`,
    }))
  })

  r.post('/people/invites/revoke', opsOnly, async (req, res) => {
    const auth = res.locals.auth as Authed
    const code = String((req.body as Record<string, string>).code ?? '')
    const done = await admin.revokeInvite(code)
    log.info('cc.invite-revoked', { done })
    await sessions.setFlash(auth.sid, done ? `邀请码 ${code} 已作废。` : `没有未使用的邀请码 ${code}。`)
    res.redirect(303, '/cc/people')
  })

  r.post('/people/unbind', opsOnly, async (req, res) => {
    const auth = res.locals.auth as Authed
    const b = req.body as Record<string, string>
    const person = String(b.person ?? '')
    if (!app.cfg.people.has(person) || b.confirm !== 'yes') { await sessions.setFlash(auth.sid, '请勾选确认后再提交。'); res.redirect(303, '/cc/people'); return }
    const bots = await admin.unbind(person)
    log.info('cc.unbound', { person, bots: bots.length })
    await sessions.setFlash(auth.sid, `已解除 ${app.personName(person)} 的绑定（${bots.length} 个值守号）。`)
    res.redirect(303, '/cc/people')
  })
}
