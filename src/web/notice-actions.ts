/** The forms under one notice's page in the command centre: correct and retract (POST /cc/n/:code/…). */
import type { Cascade } from '../spine/cascade.ts'
import { html, type Html } from './html.ts'
import { MAX_TEXT_CHARS } from './shared.ts'
import { codeStatus } from './views.ts'

/** Correct and retract forms of a notice, with a confirmation box (outside the live region: they carry the CSRF token). */
export async function noticeActions(app: Cascade, code: string, csrf: string): Promise<Html | undefined> {
  const a = await app.store.announcement(code)
  if (!a || a.type === 'cancel') return undefined
  if (await codeStatus(app, a) === 'retracted') return html`<section class="actions"><p class="legend">已撤回，不能再更正或撤回。</p></section>`
  return html`<section class="actions"><h2>更正与撤回</h2>
<p class="legend">与聊天中“更正 / 撤回”规则相同：更正沿原路径下发；撤回会撤下未发的帖子、关闭待审，并在已收到的群里发撤回通知。</p>
${a.type === 'alert' ? html`<details class="action"><summary>更正 ${a.code}</summary>
<form method="post" action="/cc/n/${a.code}/correct">
<input type="hidden" name="_csrf" value="${csrf}">
<label>更正后的正文<textarea name="text" rows="4" maxlength="${MAX_TEXT_CHARS}" required></textarea></label>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> 确认向已收到的各级发送更正</label>
<button type="submit">发送更正</button>
</form></details>` : ''}
<details class="action danger"><summary>撤回 ${a.code}</summary>
<form method="post" action="/cc/n/${a.code}/retract">
<input type="hidden" name="_csrf" value="${csrf}">
<label>撤回理由<input type="text" name="reason" maxlength="200" required></label>
<label class="check"><input type="checkbox" name="confirm" value="yes" required> 确认撤回 ${a.code}（不可恢复）</label>
<button type="submit" class="danger">撤回</button>
</form></details>
</section>`
}
