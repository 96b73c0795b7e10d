/**
 * The forms under one notice's page in the command centre (POST /cc/n/:code/…, notice-routes.ts),
 * for what the viewer may do: a curator or backup whose node has it waiting — approve, reject,
 * edit, classify; a publisher of its origin (or ops) — correct, retract. Outside the live region:
 * they carry the CSRF token.
 */
import type { Cascade } from '../spine/cascade.ts'
import { html, type Html } from './html.ts'
import type { Scope } from './scope.ts'
import { MAX_TEXT_CHARS } from './shared.ts'
import { codeStatus } from './view-kit.ts'

const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`

/** Approve / reject / edit / classify at the viewer's node where it waits (the same rules as 通过 / 驳回 / 修改 / 分类 in chat). */
async function decisionForms(app: Cascade, code: string, csrf: string, scope: Scope): Promise<Html | undefined> {
  if (scope.approves.length === 0) return undefined
  const relays = await app.store.relays(code)
  const waiting = scope.approves.map(n => relays.get(n)).find(r => r?.state === 'pending')
  if (!waiting) return undefined
  const action = (a: string) => `/cc/n/${code}/${a}`
  return html`<section class="actions decide" data-node="${waiting.node}"><h2>${app.nodeName(waiting.node)} 待您审核</h2>
<p class="legend">与聊天中“通过 / 驳回 / 修改 / 分类”规则相同，记录为网页操作。</p>
<p class="text">${waiting.text}</p>
<form method="post" action="${action('approve')}" class="approve">${csrfField(csrf)}<button type="submit">通过并下发</button></form>
<details class="action"><summary>修改后通过</summary>
<form method="post" action="${action('edit')}" class="edit">${csrfField(csrf)}
<label>修改后的正文<textarea name="text" rows="4" maxlength="${MAX_TEXT_CHARS}" required>${waiting.text}</textarea></label>
<button type="submit">修改并下发</button></form></details>
<details class="action"><summary>分类（当前：${waiting.category ?? ''}）</summary>
<form method="post" action="${action('classify')}" class="classify">${csrfField(csrf)}
<label>类别<select name="category">${app.cfg.categories.map(c => html`<option${c === waiting.category ? html` selected` : ''}>${c}</option>`)}</select></label>
<button type="submit">保存类别</button></form></details>
<details class="action danger"><summary>驳回</summary>
<form method="post" action="${action('reject')}" class="reject">${csrfField(csrf)}
<label>驳回理由<input type="text" name="reason" maxlength="200" required></label>
<button type="submit" class="danger">驳回</button></form></details>
</section>`
}

/** Correct and retract forms, with a confirmation box: for ops and the publishers of the notice's origin. */
async function amendForms(app: Cascade, code: string, csrf: string, scope: Scope): Promise<Html | undefined> {
  const a = await app.store.announcement(code)
  if (!a || a.type === 'cancel' || !(scope.ops || scope.publishes.includes(a.originNode))) return undefined
  if (await codeStatus(app, a) === 'retracted') return html`<section class="actions"><p class="legend">已撤回，不能再更正或撤回。</p></section>`
  return html`<section class="actions"><h2>更正与撤回</h2>
<p class="legend">与聊天中“更正 / 撤回”规则相同：更正沿原路径下发；撤回会撤下未发的帖子、关闭待审，并在已收到的群里发撤回通知。</p>
${a.type === 'alert' ? html`<details class="action"><summary>更正 ${a.code}</summary>
<form method="post" action="/cc/n/${a.code}/correct">
${csrfField(csrf)}
<label>更正后的正文<textarea name="text" rows="4" maxlength="${MAX_TEXT_CHARS}" required></textarea></label>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> 确认向已收到的各级发送更正</label>
<button type="submit">发送更正</button>
</form></details>` : ''}
<details class="action danger"><summary>撤回 ${a.code}</summary>
<form method="post" action="/cc/n/${a.code}/retract">
${csrfField(csrf)}
<label>撤回理由<input type="text" name="reason" maxlength="200" required></label>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> 确认撤回 ${a.code}（不可恢复）</label>
<button type="submit" class="danger">撤回</button>
</form></details>
</section>`
}

/** The forms of a notice the viewer may act on (the page shows it only when it is in their scope). */
export async function noticeActions(app: Cascade, code: string, csrf: string, scope: Scope): Promise<Html | undefined> {
  const [decide, amend] = await Promise.all([decisionForms(app, code, csrf, scope), amendForms(app, code, csrf, scope)])
  return decide || amend ? html`${decide ?? ''}${amend ?? ''}` : undefined
}
