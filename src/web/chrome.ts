/** What every signed-in page of the command centre shares: the nav for the viewer's role, who is signed in, "not found". */
import type { Response } from 'express'
import type { Cascade } from '../spine/cascade.ts'
import type { Session } from './session.ts'
import { html, layout, type LayoutOptions } from './html.ts'
import type { Scope } from './scope.ts'

interface Viewer { session: Session; scope: Scope }

/** A signed-in request: the session's id and record, and what its person sees (res.locals.auth). */
export interface Authed { sid: string; session: Session; scope: Scope }

/** The layout options of the viewer: CSRF token for sign-out, the nav entries of their role, their name. */
export function chrome(app: Cascade, v: Viewer): Pick<LayoutOptions, 'csrf' | 'hide' | 'who'> {
  const hide: string[] = []
  if (!v.scope.ops) hide.push('/cc/accounts', '/cc/people')
  if (v.scope.publishes.length === 0 && !v.scope.ops) hide.push('/cc/publish', '/cc/series', '/cc/inbox')
  const p = v.session.person
  return { csrf: v.session.csrf, hide, who: p ? `${app.personName(p)}${app.cfg.people.get(p)?.title ? `（${app.cfg.people.get(p)!.title}）` : ''}` : '运维（令牌）' }
}

/** The page for anything not found — and for anything outside the viewer's scope, alike. */
export function notFound(res: Response, v: Viewer | undefined, app?: Cascade): void {
  res.status(404).type('html').set('Cache-Control', 'no-store').send(layout({
    title: '未找到', ...(v && app ? chrome(app, v) : { csrf: v?.session.csrf }),
    live: html`<h1>未找到</h1><p>没有这个页面，或不在您的管辖范围内。</p><p><a href="/cc/">回到总览</a></p>`,
  }))
}
