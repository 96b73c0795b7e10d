/** HTML for the command centre: an escaping template tag and the page layout. */

/** Markup that is already safe (made by `html` or `raw`). */
export class Html {
  constructor(readonly s: string) {}
  toString(): string { return this.s }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export function esc(s: string): string { return s.replace(/[&<>"']/g, c => ESC[c]) }

function part(v: unknown): string {
  if (v === undefined || v === null || v === false) return ''
  if (v instanceof Html) return v.s
  if (Array.isArray(v)) return v.map(part).join('')
  return esc(String(v))
}

/** Template tag: every interpolated value is escaped unless it is `Html` (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]
  values.forEach((v, i) => { out += part(v) + strings[i + 1] })
  return new Html(out)
}

export function raw(s: string): Html { return new Html(s) }

export const NAV: { path: string; label: string }[] = [
  { path: '/cc/', label: '总览' },
  { path: '/cc/publish', label: '发布' },
  { path: '/cc/series', label: '系列' },
  { path: '/cc/inbox', label: '待选' },
  { path: '/cc/households', label: '入户' },
  { path: '/cc/cases', label: '诉求' },
  { path: '/cc/rumors', label: '辟谣' },
  { path: '/cc/accounts', label: '值守号' },
  { path: '/cc/people', label: '人员' },
]

export interface LayoutOptions {
  title: string
  /** The view path the live region follows (absent: the page is not live). */
  view?: string
  /** The session's CSRF token, for the sign-out form. */
  csrf?: string
  flash?: string
  /** Content of the live region (re-rendered by the server on every change). */
  live?: Html
  /** Content after the live region (forms: they carry the session's CSRF token). */
  after?: Html
  /** Which nav entry is current. */
  section?: string
  /** Nav entries this viewer has no use for (a curator: publish, accounts, people). */
  hide?: string[]
  /** Who is signed in, shown beside the sign-out button. */
  who?: string
}

export function layout(o: LayoutOptions): string {
  const nav = o.csrf === undefined ? '' : html`<nav class="top">
  <a class="brand" href="/cc/">指挥中心</a>
  ${NAV.filter(n => !o.hide?.includes(n.path)).map(n => html`<a href="${n.path}"${raw(n.path === o.section ? ' aria-current="page"' : '')}>${n.label}</a>`)}
  ${o.who ? html`<span class="who-am-i">${o.who}</span>` : ''}<form method="post" action="/cc/logout" class="logout"><input type="hidden" name="_csrf" value="${o.csrf}"><button type="submit">退出</button></form>
</nav>
<div id="conn" class="conn" hidden role="status">连接已断开，正在重新连接…</div>`
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${esc(o.title)} · Cascade 指挥中心</title>
<link rel="stylesheet" href="/cc/static/cc.css">
<script src="/cc/static/cc.js" defer></script>
</head>
<body>
${nav}
<div class="page">
${o.flash ? html`<p class="flash" role="status">${o.flash}</p>` : ''}
${o.view ? html`<main id="live" data-view="${o.view}">${o.live ?? ''}</main>` : html`<main>${o.live ?? ''}</main>`}
${o.after ?? ''}
</div>
</body>
</html>
`
}
