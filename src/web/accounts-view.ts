/**
 * The command centre's Accounts view: every WeChat account, whether it works, and what ops must
 * do when it does not (a QR code to scan, groups to save or name, people to re-bind, an account
 * WeChat refuses). Read from the status report (/status).
 */
import type { Cascade } from '../spine/cascade.ts'
import { dateAndClock } from '../domain/status.ts'
import { readiness } from './shared.ts'
import { html } from './html.ts'
import { ago, type Rendered } from './view-kit.ts'

// ── Accounts ────────────────────────────────────────────────────────────────

/** What an account that is not simply online or offline is doing, in staff's words. */
const STATE_WORDS: Record<string, string> = {
  'reconnecting': '微信会话中断，正在自动重连（会话保留，无需扫码）',
  'sync stalled': '消息同步停滞，正在重启同步（期间的消息稍后收取，不会丢）',
  'loading contacts': '通讯录加载失败，正在重试（加载后自动找群）',
  'barred from web WeChat': '微信拒绝该号登录网页版，不再出二维码；请先在手机或电脑版微信上解除限制，再重启该值守号',
}

/** Why an account does not work, from its /readyz state (src/infra/bot-health.ts `accountState`), in staff's words. */
const OFFLINE_WORDS: Record<string, string> = {
  'cannot reach WeChat': '连不上微信服务器：请检查该值守号所在机器的网络、DNS 或代理（正在自动重试）',
  'waiting for a QR scan': '等待扫码登录：请用该值守号的手机微信扫下方二维码',
  'not started': '尚未启动：还没有进程运行该值守号（cascade run bots/<编号>.yaml）',
  'stopped': '进程已停止（cascade shutdown、SIGTERM 或 docker stop）：请用 cascade run 重新启动',
  'logged out': '微信结束了登录会话：请重新扫码登录',
  'not responding': '心跳中断：进程意外退出或连不上 Redis',
}

/** An account's state in Chinese: what it is doing and, when it is not working, why. */
export function accountStateZh(state: string): string {
  return STATE_WORDS[state] ?? OFFLINE_WORDS[state] ?? (state === 'logged in' ? '在线' : state)
}

export async function accountsView(app: Cascade): Promise<Rendered> {
  const r = await readiness(app)
  const rows = r.bots.map(b => {
    const bot = b as { id: string; name: string; loggedIn: boolean; backlog: number; lastSendAgoSeconds: number | null; logoutAt: string | null; logoutReason: string | null; missingGroups: string[]; missingPeople: string[]; hints: string[]; relogins: number; lastFault: { at: string; what: string } | null; backoffUntil: string | null; qrWaiting: boolean; state: string; barred: string | null }
    return html`<li class="account ${bot.loggedIn ? 'on' : 'off'}" data-bot="${bot.id}">
<h2>${bot.name} <small>${bot.id}</small> <span class="badge ${bot.loggedIn ? 'ok' : 'bad'}">${bot.loggedIn ? '在线' : '离线'}</span></h2>
<p>待发 ${bot.backlog} · 上次发送 ${bot.lastSendAgoSeconds === null ? '无' : `${ago(bot.lastSendAgoSeconds * 1000)}前`}${bot.backoffUntil ? html` · <b class="bad">微信限频，暂停至 ${dateAndClock(Date.parse(bot.backoffUntil))}</b>` : ''}${!bot.loggedIn && bot.logoutAt ? ` · 退出于 ${dateAndClock(Date.parse(bot.logoutAt))}${bot.logoutReason ? `（${bot.logoutReason}）` : ''}` : ''}</p>
${STATE_WORDS[bot.state] ? html`<p class="bad">${STATE_WORDS[bot.state]}${bot.barred ? `：${bot.barred}` : ''}</p>` : ''}
${!bot.loggedIn && !STATE_WORDS[bot.state] ? html`<p class="bad why-offline">离线原因：${accountStateZh(bot.state)}</p>` : ''}
${bot.missingGroups.length ? html`<p class="bad">未找到的群：${bot.missingGroups.join('、')}（请在手机上把这些群“保存到通讯录”）</p>` : ''}
${bot.missingPeople.length ? html`<p class="bad">需重新绑定：${bot.missingPeople.map(p => app.personName(p)).join('、')}（请他们私聊本号发送个人识别码）</p>` : ''}
${bot.relogins ? html`<p>微信客户端自行重连 ${bot.relogins} 次</p>` : ''}
${bot.lastFault ? html`<p class="bad">最近一次已自动恢复的故障（${dateAndClock(Date.parse(bot.lastFault.at))}）：${bot.lastFault.what}</p>` : ''}
${!bot.loggedIn && bot.qrWaiting ? html`<figure class="qr"><img src="/cc/accounts/${bot.id}/qr.png" alt="${bot.name} 登录二维码" width="180" height="180"><figcaption>用该值守号的微信扫码登录</figcaption></figure>` : ''}
</li>`
  })
  const body = html`<h1>值守号</h1><p class="legend">Redis ${r.redis ? '正常' : '无法连接'} · 在线 ${r.bots.filter(b => b.loggedIn).length}/${r.bots.length}</p><ul class="accounts">${rows}</ul>`
  return { title: '值守号', section: '/cc/accounts', body }
}
