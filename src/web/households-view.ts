/**
 * The households views (入户覆盖) in the viewer's scope: a node's staff see its villages whole;
 * a grid worker sees the households of their own grids only; the names of members not placed in
 * a household (未归户) are shown to ops and to the village's own curators and backups only.
 */
import type { Announcement } from '../domain/announcement.ts'
import { missingHouseholds, type CoverageNode, type Counts } from '../domain/households.ts'
import { dateAndClock } from '../domain/status.ts'
import { coverageOf } from '../features/coverage/coverage.ts'
import type { Cascade } from '../spine/cascade.ts'
import { html, type Html } from './html.ts'
import { seesGrid, seesNotice, seesUnassignedNames, type Scope } from './scope.ts'
import { bar, dotted, labels, type Rendered } from './view-kit.ts'

export async function householdsIndex(app: Cascade, scope: Scope): Promise<Rendered> {
  const codes = await app.store.recentCodes(30)
  const all = (await Promise.all(codes.map(c => app.store.announcement(c)))).filter((a): a is Announcement => !!a && a.ackRequired && a.type !== 'cancel')
  const list: Announcement[] = []
  for (const a of all) if (seesNotice(scope, a.originNode, (await app.store.relays(a.code)).keys())) list.push(a)
  const body = html`<h1>入户覆盖</h1>
${coverageOf(app) ? '' : html`<p class="empty">未配置 households.yaml：只能按群统计收到人数。</p>`}
${list.length ? html`<ul class="plain">${list.map(a => html`<li><a href="/cc/households/${a.code}">${a.code}</a> ${labels(a)} · ${dateAndClock(a.createdAt)}</li>`)}</ul>` : html`<p class="empty">还没有需要回执的通知。</p>`}`
  return { title: '入户覆盖', section: '/cc/households', body }
}

function countsHtml(c: Counts): Html {
  return html`${c.households ? bar('已覆盖户', c.acked + c.notified, c.households, 'hh') : ''}<span class="counts">${dotted([
    c.households ? `收到 ${c.acked} 户` : '', c.households ? `电话/上门 ${c.notified} 户` : '', c.households ? `未覆盖 ${c.households - c.acked - c.notified} 户` : '',
    c.members ? `收到 ${c.membersAcked}/${c.members} 人` : '', c.unassigned ? `未归户 ${c.unassigned} 人` : '',
  ])}</span>`
}

/** The coverage nodes a scope starts at (the district for ops). */
function scopedCoverage(root: CoverageNode, scope: Scope): CoverageNode[] {
  if (scope.ops) return [root]
  const out: CoverageNode[] = []
  const walk = (n: CoverageNode) => { if (scope.nodes.has(n.id)) out.push(n); else n.children.forEach(walk) }
  walk(root)
  return out
}

export async function householdsOf(app: Cascade, code: string, scope: Scope): Promise<Rendered | undefined> {
  const a = await app.store.announcement(code)
  if (!a || !seesNotice(scope, a.originNode, (await app.store.relays(code)).keys())) return undefined
  const cov = coverageOf(app)
  const tree = cov ? await cov.tree(code) : undefined
  const row = (n: CoverageNode): Html => n.level === 'village'
    ? html`<li class="hh-village"><a href="/cc/households/${a.code}/${n.id}">${n.name}</a> ${scope.ops || scope.staff.has(n.id) ? countsHtml(n.counts) : html`<span class="counts">（您的网格）</span>`}</li>`
    : html`<li class="hh-${n.level}"><b>${n.name}</b> ${countsHtml(n.counts)}${n.children.length ? html`<ul>${n.children.filter(c => c.level !== 'group' && c.level !== 'grid').map(row)}</ul>` : ''}</li>`
  const body = html`<h1>入户覆盖 · <a href="/cc/n/${a.code}">${a.code}</a></h1>
<p class="notice-meta">${labels(a)} · ${dateAndClock(a.createdAt)}</p>
${tree ? html`<ul class="hh-tree">${scopedCoverage(tree, scope).map(row)}</ul>` : html`<p class="empty">未配置 households.yaml。</p>`}`
  return { title: `入户 ${a.code}`, section: '/cc/households', body }
}

export async function householdsVillage(app: Cascade, code: string, village: string, scope: Scope): Promise<Rendered | undefined> {
  const a = await app.store.announcement(code)
  const cov = coverageOf(app)
  if (!a || !cov || app.cfg.nodes.get(village)?.level !== 'village' || !scope.nodes.has(village)) return undefined
  const v = await cov.village(code, village)
  const staff = scope.ops || scope.staff.has(village)
  const people = (ids: string[]) => ids.map(p => app.personName(p)).join('、') || '（未设网格员）'
  const names = seesUnassignedNames(app, scope, village)
  const body = html`<h1>${app.nodeName(village)} · <a href="/cc/households/${a.code}">${a.code}</a></h1>
${staff ? countsHtml(v.counts) : ''}
${v.grids.filter(g => seesGrid(scope, village, g.grid.id)).map(g => {
    const missing = missingHouseholds(g)
    const byPhone = g.households.filter(h => h.mark?.how === 'notified')
    return html`<section class="grid"><h2>${g.grid.name} · 网格员 ${people(g.grid.workers)}</h2>
${countsHtml(g.counts)}
<h3>未覆盖（${missing.length} 户）</h3>${missing.length ? html`<ul class="names missing">${missing.map(h => html`<li>${h.name}</li>`)}</ul>` : html`<p class="empty">全部覆盖。</p>`}
<h3>电话/上门通知（${byPhone.length} 户）</h3>${byPhone.length ? html`<ul class="names notified">${byPhone.map(h => html`<li>${h.household.name} <small>${app.personName(h.mark!.by)} ${h.mark!.at ? dateAndClock(h.mark!.at) : ''}</small></li>`)}</ul>` : html`<p class="empty">无。</p>`}
</section>`
  })}
${staff && v.unassigned.length ? html`<section class="unassigned"><h2>未归户成员（${v.unassigned.length}）</h2><p class="legend">群昵称无法对应到户，请网格员核对${names ? '' : '（名单仅本村审核员可见）'}。</p>
${names ? html`<ul class="names unassigned">${v.unassigned.map(m => html`<li>${m.name} <small>${m.topic}${m.acked ? ' · 已回复收到' : ''}${m.reason === 'ambiguous' ? ' · 对应多户' : ''}</small></li>`)}</ul>` : ''}</section>` : ''}`
  return { title: `入户 ${app.nodeName(village)}`, section: '/cc/households', body }
}
