/**
 * What a signed-in person does to one notice from the command centre, through exactly the code
 * path of the chat commands (`app.front.runCommand`: 通过, 驳回, 修改, 分类, 更正, 撤回 — the same
 * checks, rules, replies and audit), marked as done on the web (`withChannel('web')`). Ops (the
 * token) correct and retract as `ops-web`, as before; they decide nothing at a node: that is
 * the node's curators' and backups' own act.
 *
 *   POST /cc/n/:code/approve                       通过
 *   POST /cc/n/:code/reject    {reason}            驳回
 *   POST /cc/n/:code/edit      {text}              修改
 *   POST /cc/n/:code/classify  {category}          分类
 *   POST /cc/n/:code/correct   {text, confirm}     更正
 *   POST /cc/n/:code/retract   {reason, confirm}   撤回
 *
 * A notice outside the viewer's scope is answered 404, as its page is.
 */
import type express from 'express'
import type { Command } from '../domain/commands.ts'
import { isBlank } from '../domain/text.ts'
import { cancel, correct } from '../features/curation/curation.ts'
import type { Logger } from '../infra/log.ts'
import { WEB_AUTHOR, type Cascade } from '../spine/cascade.ts'
import { withChannel } from '../store/channel.ts'
import { notFound, type Authed } from './chrome.ts'
import type { LiveHub } from './live.ts'
import { seesNotice } from './scope.ts'
import type { Sessions } from './session.ts'
import { MAX_TEXT_CHARS } from './shared.ts'

const ACTIONS = new Set(['approve', 'reject', 'edit', 'classify', 'correct', 'retract'])

interface Deps { app: Cascade; log: Logger; sessions: Sessions; hub: LiveHub }

/** The command of a form, or the problem to tell (before anything is tried). */
function commandOf(app: Cascade, action: string, code: string, b: Record<string, string>): Command | string {
  const text = (b.text ?? '').trim()
  const reason = (b.reason ?? '').trim()
  switch (action) {
    case 'approve': return { kind: 'approve', code }
    case 'reject': return isBlank(reason) ? '请填写驳回理由。' : { kind: 'reject', code, reason }
    case 'classify': return { kind: 'classify', code, category: (b.category ?? '').trim() }
    case 'edit': case 'correct':
      if (isBlank(app.texts.body(text))) return action === 'edit' ? '请填写修改后的正文。' : '请填写更正后的正文。'
      if (text.length > MAX_TEXT_CHARS) return `正文最多 ${MAX_TEXT_CHARS} 字。`
      return action === 'edit' ? { kind: 'edit', code, text } : { kind: 'update', code, text }
    default: return isBlank(reason) ? '请填写撤回理由。' : { kind: 'cancel', code, reason }
  }
}

async function act(app: Cascade, auth: Authed, action: string, code: string, b: Record<string, string>): Promise<string> {
  if ((action === 'correct' || action === 'retract') && b.confirm !== 'yes') return '请勾选确认后再提交。'
  const cmd = commandOf(app, action, code, b)
  if (typeof cmd === 'string') return cmd
  const person = auth.session.person
  if (person) return (await app.front.runCommand(person, cmd)).join('\n')
  if (cmd.kind === 'update') return (await correct(app, WEB_AUTHOR, code, cmd.text)).reply
  if (cmd.kind === 'cancel') return (await cancel(app, WEB_AUTHOR, code, cmd.reason)).reply
  return '审核（通过、驳回、修改、分类）由该单位的审核员或后备审核员本人登录后进行；运维令牌不代为审核。'
}

export function mountNoticeActions(r: express.Router, { app, log, sessions, hub }: Deps): void {
  r.post('/n/:code/:action', async (req, res) => {
    const auth = res.locals.auth as Authed
    const code = String(req.params.code).toUpperCase()
    const action = String(req.params.action)
    const b = (req.body ?? {}) as Record<string, string>
    const a = /^[A-Z0-9]{4}$/.test(code) && ACTIONS.has(action) ? await app.store.announcement(code) : undefined
    if (!a || !seesNotice(auth.scope, a.originNode, (await app.store.relays(code)).keys())) { notFound(res, auth, app); return }
    const before = new Set(await app.store.corrections(code))
    const reply = await withChannel('web', () => act(app, auth, action, code, b))
    log.info('cc.action', { code, action, person: auth.session.person ?? 'ops' })
    hub.changed()
    await sessions.setFlash(auth.sid, reply)
    // After a correction, its own page (the new code); else back to the notice.
    const made = action === 'correct' ? (await app.store.corrections(code)).find(c => !before.has(c)) : undefined
    res.redirect(303, `/cc/n/${made ?? code}`)
  })
}
