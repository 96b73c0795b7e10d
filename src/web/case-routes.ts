/**
 * What the people responsible for a case do with it from its page (/cc/c/:code), through exactly
 * the code path of the chat commands 接单 / 回复 / 办结 / 转交 / 属实 (`CaseStaff.staffCommand`,
 * src/features/cases/chat.ts: the same check that the person is responsible for it, the same
 * replies, messages to the reporter and history), marked as done on the web (`withChannel('web')`).
 * The forms are shown to those the chat would let act; ops see the case but act on none.
 *
 *   POST /cc/c/:code/take
 *   POST /cc/c/:code/reply      {text}
 *   POST /cc/c/:code/close      {result}
 *   POST /cc/c/:code/transfer   {to}     a node's name or id, as in chat
 *   POST /cc/c/:code/verify
 *
 * A case outside the viewer's scope is answered 404, as its page is. Each form carries a random
 * `nonce`, the message id of the chat path: a form sent twice tells the reporter once.
 */
import type express from 'express'
import { CASE_CODE_RE, WAITING_STATES, type CaseCommand } from '../domain/cases.ts'
import { MAX_INBOUND_CHARS } from '../domain/limits.ts'
import { isBlank } from '../domain/text.ts'
import { casesOf } from '../features/cases/cases.ts'
import type { Logger } from '../infra/log.ts'
import type { Cascade } from '../spine/cascade.ts'
import { withChannel } from '../store/channel.ts'
import { notFound, type Authed } from './chrome.ts'
import { html, type Html } from './html.ts'
import type { LiveHub } from './live.ts'
import type { Scope } from './scope.ts'
import { randomToken, type Sessions } from './session.ts'

type StaffCommand = Exclude<CaseCommand, { kind: 'report' | 'malformed' }>

const ACTIONS = new Set(['take', 'reply', 'close', 'transfer', 'verify'])

/** The command of a form, or the problem to tell (before anything is tried). */
function commandOf(action: string, code: string, b: Record<string, string>): StaffCommand | string {
  const field = action === 'reply' ? 'text' : action === 'close' ? 'result' : action === 'transfer' ? 'to' : undefined
  const value = field ? (b[field] ?? '').trim() : ''
  if (field && isBlank(value)) return action === 'reply' ? '请填写回复反映人的话。' : action === 'close' ? '请填写办理结果。' : '请填写转交单位的名称或编号。'
  if (value.length > MAX_INBOUND_CHARS) return `最多 ${MAX_INBOUND_CHARS} 字。`
  switch (action) {
    case 'take': return { kind: 'take', code }
    case 'reply': return { kind: 'reply', code, text: value }
    case 'close': return { kind: 'close', code, result: value }
    case 'transfer': return { kind: 'transfer', code, to: value }
    default: return { kind: 'verify', code }
  }
}

/** The forms under a case's page, for a person the chat would let act on it. */
export async function caseActions(app: Cascade, code: string, csrf: string, person: string | undefined): Promise<Html | undefined> {
  const c = person ? await casesOf(app)?.store.get(code) : undefined
  if (!c || !person || !c.responsible.includes(person)) return undefined
  const form = (action: string, inner: Html | string, button: string) => html`<form method="post" action="/cc/c/${c.code}/${action}" class="case-${action}">
<input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="nonce" value="${randomToken(12)}">${inner}<button type="submit">${button}</button></form>`
  const open = c.state !== 'closed'
  return html`<section class="actions case-actions"><h2>办理</h2>
<p class="legend">与聊天中“接单 / 回复 / 办结 / 转交 / 属实”规则相同，记录为网页操作。</p>
${WAITING_STATES.includes(c.state) ? form('take', '', '接单') : ''}
${open ? html`<details class="action"><summary>回复反映人</summary>${form('reply', html`<label>告诉反映人的话<textarea name="text" rows="3" maxlength="${MAX_INBOUND_CHARS}" required></textarea></label>`, '发送回复')}</details>
<details class="action"><summary>办结</summary>${form('close', html`<label>办理结果（会告知反映人）<textarea name="result" rows="3" maxlength="${MAX_INBOUND_CHARS}" required></textarea></label>`, '办结')}</details>
<details class="action"><summary>转交</summary>${form('transfer', html`<label>转交给（单位名称或编号）<input type="text" name="to" maxlength="100" required></label>`, '转交')}</details>` : ''}
${c.kind === 'tip' && !c.verifiedBy ? html`<details class="action"><summary>核实属实</summary>${form('verify', '', '举报属实')}</details>` : ''}
</section>`
}

interface Deps { app: Cascade; log: Logger; sessions: Sessions; hub: LiveHub }

const inScope = (scope: Scope, node: string) => scope.ops || scope.nodes.has(node)

export function mountCaseActions(r: express.Router, { app, log, sessions, hub }: Deps): void {
  r.post('/c/:code/:action', async (req, res) => {
    const auth = res.locals.auth as Authed
    const code = String(req.params.code).toUpperCase()
    const action = String(req.params.action)
    const desk = casesOf(app)
    const c = desk && CASE_CODE_RE.test(code) && ACTIONS.has(action) ? await desk.store.get(code) : undefined
    if (!desk || !c || !inScope(auth.scope, c.node)) { notFound(res, auth, app); return }
    const b = (req.body ?? {}) as Record<string, string>
    const person = auth.session.person
    const cmd = commandOf(action, code, b)
    const nonce = /^[A-Za-z0-9_-]{8,40}$/.test(b.nonce ?? '') ? b.nonce : randomToken(12)
    const reply = typeof cmd === 'string' ? cmd
      : !person ? '诉求由负责的工作人员本人登录后办理；运维令牌不代为办理。'
      : await withChannel('web', () => desk.staff.staffCommand(person, cmd, { messageId: `web-${nonce}` }))
    log.info('cc.case-action', { code, action, person: person ?? 'ops' })
    hub.changed()
    await sessions.setFlash(auth.sid, reply)
    // A case handed over to a node outside the viewer's scope is no longer theirs to see.
    const now = await desk.store.get(code)
    res.redirect(303, now && inScope(auth.scope, now.node) ? `/cc/c/${code}` : '/cc/cases')
  })
}
