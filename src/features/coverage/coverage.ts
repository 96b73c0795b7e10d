/**
 * 不漏一户: acknowledgment coverage by household and grid, and the follow-up at the deadline.
 *
 * - On every recorded acknowledgment (`ack` event) the member is placed in a household of
 *   their village (roster or nickname, see domain/households.ts); the household's first
 *   coverage is kept (`hh:<code>:<village>`), counted per grid (`hhn:<code>`). A member that
 *   places nowhere is kept as unassigned (`hhu:<code>`), never dropped.
 * - When an acknowledgment-required notice is posted in a village group (`sent`), a timer is set
 *   for the deadline (per announcement, else per severity). It DMs each grid worker the code and
 *   the households of their grid not covered, then the village curators the grid totals.
 * - `已通知 户名` (DM, grid worker or village curator) records a household reached by phone or
 *   visit, as its own kind. `覆盖 A7K2` (DM) shows the coverage of the asker's units.
 *
 * Redis keys (under the namespace): `hh:<code>:<village>` hash household key → mark JSON;
 * `hhn:<code>` hash `<village>|<grid>|ack|notified` and `<village>||unassigned` → count;
 * `hhu:<code>` hash contact id → unassigned member JSON; `members:<topic>` hash contact id →
 * group nickname (the group's member list, written by `recordGroupMembers`);
 * `followup:<person>` the code of the last deadline DM; `ackdeadline:<code>` minutes override.
 */
import type { NodeConfig } from '../../config/types.ts'
import { ANNOUNCEMENT_CODE_RE, type Announcement } from '../../domain/announcement.ts'
import {
  addCounts, buildCoverage, emptyCounts, HouseholdIndex, householdKey, missingHouseholds, missingOf, renderCoverage, villageCoverage,
  type CoverageNode, type CoverHow, type GridCoverage, type Household, type HouseholdMark, type HouseholdsConfig,
  type UnassignedMember, type VillageCoverage,
} from '../../domain/households.ts'
import { clock } from '../../domain/status.ts'
import { displayName, normalizeChat, stripMentions } from '../../domain/text.ts'
import { PRIORITY } from '../../queue/outbox.ts'
import { RECORD_ACK } from '../../store/scripts.ts'
import type { Cascade } from '../../spine/cascade.ts'

/** What of the spine coverage uses. */
export type CoverageHost = Pick<Cascade, 'addHelp' | 'approvesFor' | 'cfg' | 'children' | 'events' | 'groupOf' | 'hasRole' | 'log' | 'nodeName' | 'now' | 'outboxes' | 'personName' | 'rolesOf' | 'router' | 'store' | 't' | 'tell' | 'timers' | 'use'>

/** The timer kind of the acknowledgment deadline of one announcement in one village. */
export const DEADLINE_TIMER = 'ack-deadline'
/** How long `已通知` without a code refers to the last deadline DM. */
const FOLLOWUP_TTL_S = 7 * 24 * 3600
/** Households listed in one chat message at most (the rest as “等 N 户”). */
const LIST_MAX = 40

interface MarkCommand { coverMark(hash: string, counts: string, field: string, rec: string, counter: string): Promise<number> }

/** A household or unassigned member of an export. */
/**
 * A household or unassigned member of an export; each column means one thing: `household` a
 * household (empty on a member's row), `member` a group member placed in no household (empty on
 * a household's row), `by` who acknowledged or, for 已通知, the staff who reached it — empty when
 * nobody did — and `how` how (`ack`, `notified`, empty).
 */
export interface CoverageRow { village: string; grid: string; household: string; member: string; by: string; how: CoverHow | ''; at?: number }

export class Coverage {
  readonly idx: HouseholdIndex
  private readonly villageOfTopic = new Map<string, string>()
  private readonly lua: MarkCommand

  constructor(readonly app: CoverageHost, cfg: HouseholdsConfig) {
    this.idx = new HouseholdIndex(cfg)
    for (const n of app.cfg.nodes.values()) {
      if (n.level === 'village') for (const g of n.groups) if (g.kind === 'public') this.villageOfTopic.set(g.topic, n.id)
    }
    // Same atomic step as the spine's acknowledgments: first mark wins, counted once.
    app.store.redis.defineCommand('coverMark', { numberOfKeys: 2, lua: RECORD_ACK })
    this.lua = app.store.redis as unknown as MarkCommand
  }

  key(...parts: string[]): string { return `${this.app.store.keys.base}${parts.join(':')}` }
  private marksKey(code: string, village: string) { return this.key('hh', code, village) }
  private countsKey(code: string) { return this.key('hhn', code) }
  private unassignedKey(code: string) { return this.key('hhu', code) }
  private membersKey(topic: string) { return this.key('members', topic) }

  // ── recording ─────────────────────────────────────────────────────────────

  /** Places an acknowledging member; records their household's coverage or them as unassigned. */
  async onAck(e: { code: string; topic: string; contactId: string; name: string; at: number }): Promise<void> {
    const village = this.villageOfTopic.get(e.topic)
    if (!village || !this.idx.village(village)) return
    const p = this.idx.locate(village, e.name)
    if (p.kind === 'household') {
      await this.mark(e.code, village, p.household, { grid: p.grid, household: p.household.name, how: 'ack', by: e.name, at: e.at, topic: e.topic })
      return
    }
    const rec: UnassignedMember & { village: string } = { contactId: e.contactId, name: e.name, topic: e.topic, at: e.at, acked: true, reason: p.reason, village }
    await this.lua.coverMark(this.unassignedKey(e.code), this.countsKey(e.code), e.contactId, JSON.stringify(rec), `${village}||unassigned`)
  }

  /** Records a household's coverage once; false when it was already covered. */
  async mark(code: string, village: string, h: Household, m: HouseholdMark): Promise<boolean> {
    const n = await this.lua.coverMark(this.marksKey(code, village), this.countsKey(code), h.key, JSON.stringify(m), `${village}|${h.grid}|${m.how}`)
    return n === 1
  }

  /**
   * Stores a group's member list (contact id → group nickname, else contact name), so that
   * households derived from nicknames and members placed nowhere are known before anyone
   * acknowledges. Called by the chat adapter at login (room.memberAll + room.alias).
   */
  async recordGroupMembers(topic: string, members: { id: string; name: string }[]): Promise<void> {
    const key = this.membersKey(topic)
    const tx = this.app.store.redis.multi().del(key)
    if (members.length) tx.hset(key, Object.fromEntries(members.map(m => [m.id, displayName(m.name)])))
    await tx.exec()
  }

  // ── reading ───────────────────────────────────────────────────────────────

  async marks(code: string, village: string): Promise<Map<string, HouseholdMark>> {
    const all = await this.app.store.redis.hgetall(this.marksKey(code, village))
    return new Map(Object.entries(all).map(([k, raw]) => [k, JSON.parse(raw) as HouseholdMark]))
  }

  private async unassigned(code: string): Promise<(UnassignedMember & { village: string })[]> {
    const all = await this.app.store.redis.hvals(this.unassignedKey(code))
    return all.map(raw => JSON.parse(raw) as UnassignedMember & { village: string })
  }

  publicTopics(village: string): string[] {
    return (this.app.cfg.nodes.get(village)?.groups ?? []).filter(g => g.kind === 'public').map(g => g.topic)
  }

  /** Every household, mark and unassigned member of one village for one announcement. */
  async village(code: string, village: string, unassignedAll?: (UnassignedMember & { village: string })[]): Promise<VillageCoverage> {
    const redis = this.app.store.redis
    const topics = this.publicTopics(village)
    const [bots, marks, directories, unassignedAcked, acks, deliveries] = await Promise.all([
      this.app.store.botContacts(), // fresh: an account that logged in later is no member either
      this.marks(code, village),
      Promise.all(topics.map(t => redis.hgetall(this.membersKey(t)))),
      unassignedAll ? Promise.resolve(unassignedAll) : this.unassigned(code),
      this.app.store.ackCounts(code),
      this.app.store.deliveries(code),
    ])
    const derived = new Map<string, Household>()
    // Another Cascade account is no member, whichever id this account saw it under: known as a
    // bot contact, or going by an account's nickname (such a member is taken for it, as in acks).
    const botNames = new Set([...this.app.cfg.bots.values()].flatMap(b => [b.nickname, b.name]).filter(Boolean))
    const isBot = (contactId: string, name: string) => bots.has(contactId) || botNames.has(name)
    const unassigned = unassignedAcked.filter(u => u.village === village && !isBot(u.contactId, u.name)).map(({ village: _v, ...u }) => u)
    const ackedIds = new Set(unassigned.map(u => u.contactId))
    topics.forEach((topic, i) => {
      for (const [contactId, name] of Object.entries(directories[i])) {
        if (isBot(contactId, name)) continue
        const p = this.idx.locate(village, name)
        if (p.kind === 'household') derived.set(p.household.key, p.household)
        else if (!ackedIds.has(contactId)) {
          ackedIds.add(contactId)
          unassigned.push({ contactId, name, topic, acked: false, reason: p.reason })
        }
      }
    })
    for (const [key, m] of marks) if (!this.idx.household(village, key)) derived.set(key, { key, name: m.household, grid: m.grid, members: [] })
    const posted = deliveries.filter(d => d.node === village)
    const group = {
      members: posted.reduce((s, d) => s + (d.members ?? 0), 0),
      membersAcked: topics.reduce((s, t) => s + (acks.get(t) ?? 0), 0),
    }
    const cov = villageCoverage(this.idx, village, marks, [...derived.values()], unassigned, group)
    cov.counts.unassigned = unassigned.filter(u => u.acked).length
    return cov
  }

  /**
   * The coverage tree of an announcement below `root` (default: the district). Villages with a
   * roster only are counted from the per-grid counters (fast: no household is read); villages
   * with a nickname pattern are read whole (their households are known from the members).
   */
  async tree(code: string, root = this.app.cfg.rootId): Promise<CoverageNode | undefined> {
    if (!this.app.cfg.nodes.has(root)) return undefined
    const [counters, acks, deliveries] = await Promise.all([
      this.app.store.redis.hgetall(this.countsKey(code)),
      this.app.store.ackCounts(code),
      this.app.store.deliveries(code),
    ])
    const inScope = (id: string): boolean => id === root || inScopeOf(this.app.cfg.nodes, id, root)
    const detailed = new Map<string, VillageCoverage>()
    const patternVillages = [...this.idx.cfg.villages.values()].filter(v => v.nickname && inScope(v.village))
    if (patternVillages.length) {
      const unassigned = await this.unassigned(code)
      for (const v of patternVillages) detailed.set(v.village, await this.village(code, v.village, unassigned))
    }
    const membersOf = new Map<string, number>()
    for (const d of deliveries) membersOf.set(d.topic, (membersOf.get(d.topic) ?? 0) + (d.members ?? 0))
    return buildCoverage({
      node: id => {
        const n = this.app.cfg.nodes.get(id)
        return n && { id, name: n.name, level: n.level }
      },
      children: id => this.app.children(id),
      village: id => ({
        coverage: detailed.get(id) ?? this.fromCounters(id, counters),
        groups: this.publicTopics(id).map(topic => ({ topic, members: membersOf.get(topic) ?? 0, membersAcked: acks.get(topic) ?? 0 })),
      }),
    }, root)
  }

  /** A roster village's coverage from the counters and the roster sizes alone (no household is listed). */
  private fromCounters(village: string, counters: Record<string, string>): VillageCoverage | undefined {
    const v = this.idx.village(village)
    if (!v) return undefined
    const grids: GridCoverage[] = v.grids.map(grid => ({
      grid, households: [],
      counts: {
        ...emptyCounts(), households: grid.households.length,
        acked: Number(counters[`${village}|${grid.id}|ack`] ?? 0),
        notified: Number(counters[`${village}|${grid.id}|notified`] ?? 0),
      },
    }))
    const counts = emptyCounts()
    for (const g of grids) addCounts(counts, g.counts)
    counts.unassigned = Number(counters[`${village}||unassigned`] ?? 0)
    return { village, grids, unassigned: [], counts }
  }

  /** One row per household below `root` (and one per unassigned member): for `cascade acks export`. */
  async rows(code: string, root = this.app.cfg.rootId): Promise<CoverageRow[]> {
    const rows: CoverageRow[] = []
    const unassigned = await this.unassigned(code)
    for (const v of this.idx.cfg.villages.values()) {
      if (v.village !== root && !inScopeOf(this.app.cfg.nodes, v.village, root)) continue
      const cov = await this.village(code, v.village, unassigned)
      const village = this.app.nodeName(v.village)
      for (const g of cov.grids) {
        for (const { household, mark } of g.households) {
          rows.push({ village, grid: g.grid.name, household: household.name, member: '', by: mark ? this.byName(mark) : '', how: mark?.how ?? '', at: mark?.at })
        }
      }
      // A member in no household: named as a member; as acknowledging only when they did.
      for (const u of cov.unassigned) rows.push({ village, grid: '', household: '', member: u.name, by: u.acked ? u.name : '', how: u.acked ? 'ack' : '', at: u.acked ? u.at : undefined })
    }
    return rows
  }

  byName(m: HouseholdMark): string { return m.how === 'notified' ? this.app.personName(m.by) : m.by }

  // ── deadline ──────────────────────────────────────────────────────────────

  /** Minutes from the post to the deadline: the announcement's own, else its severity's. */
  async deadlineMinutes(a: Announcement): Promise<number | undefined> {
    const own = await this.app.store.redis.get(this.key('ackdeadline', a.code))
    return own !== null ? Number(own) : this.idx.deadlineMinutes(a.severity)
  }

  /** Sets one announcement's deadline (minutes after its post in each village). */
  async setDeadline(code: string, minutes: number): Promise<void> {
    await this.app.store.redis.set(this.key('ackdeadline', code), String(minutes), 'EX', FOLLOWUP_TTL_S)
  }

  /** A post in a village group: the village's deadline timer (once per announcement and village). */
  async onSent(e: { announcement: Announcement; code: string; node: string; at: number }): Promise<void> {
    if (!this.idx.village(e.node)) return
    const a = e.announcement
    if (!a.ackRequired) return
    const minutes = await this.deadlineMinutes(a)
    if (minutes === undefined) return
    await this.app.timers.schedule(DEADLINE_TIMER, `${e.code}-${e.node}`, e.at + minutes * 60_000, { code: e.code, village: e.node })
  }

  /** The deadline: each grid worker gets their grid's missing households, then the curators the totals. */
  async onDeadline(data: Record<string, unknown>): Promise<void> {
    const code = String(data.code)
    const village = String(data.village)
    const a = await this.app.store.announcement(code)
    if (!a || a.cancelledBy) return
    const cov = await this.village(code, village)
    const villageName = this.app.nodeName(village)
    const lines: string[] = []
    for (const g of cov.grids) {
      const reached: string[] = []
      for (const worker of g.grid.workers) if (await this.dmWorker(code, village, villageName, g, worker)) reached.push(worker)
      lines.push(this.gridLine(g, reached))
    }
    const acked = cov.unassigned.filter(u => u.acked)
    const unassigned = acked.length ? this.app.t('coverage_unassigned', { count: acked.length, names: listText(acked.map(u => u.name)) }) : ''
    const text = this.app.t('coverage_deadline_curator', { code, village: villageName, grids: lines.join('\n'), unassigned })
    const node = this.app.cfg.nodes.get(village)!
    for (const person of node.curators) await this.dm(person, village, `${code}-deadline-${village}-curator-${person}`, text)
  }

  private gridLine(g: GridCoverage, reached: string[]): string {
    const workers = g.grid.workers.map(w => `${this.app.personName(w)}${reached.includes(w) ? '' : '，未绑定'}`)
    return this.app.t('coverage_grid_line', {
      grid: g.grid.name, covered: g.counts.acked + g.counts.notified, total: g.counts.households,
      acked: g.counts.acked, notified: g.counts.notified, missing: missingOf(g.counts),
      workers: workers.length ? `（网格员 ${workers.join('、')}）` : '（无网格员）',
    })
  }

  private async dmWorker(code: string, village: string, villageName: string, g: GridCoverage, worker: string): Promise<boolean> {
    const missing = missingHouseholds(g)
    const covered = g.counts.acked + g.counts.notified
    const text = missing.length
      ? this.app.t('coverage_deadline_worker', { code, village: villageName, grid: g.grid.name, covered, total: g.counts.households, missing: missing.length, households: listText(missing.map(h => h.name)) })
      : this.app.t('coverage_deadline_worker_done', { code, village: villageName, grid: g.grid.name, total: g.counts.households })
    const sent = await this.dm(worker, village, `${code}-deadline-${village}-${g.grid.id}-${worker}`, text)
    if (sent) await this.app.store.redis.set(this.key('followup', worker), code, 'EX', FOLLOWUP_TTL_S)
    return sent
  }

  private async dm(person: string, village: string, idem: string, text: string): Promise<boolean> {
    const bot = await this.app.router.botForPerson(person, village)
    if (!bot) {
      this.app.log.warn('coverage.unreachable', { person, village, hint: 'person has not redeemed an invite with any bot' })
      return false
    }
    await this.app.outboxes.enqueue(bot, { idem, target: { kind: 'person', person }, text }, PRIORITY.reply)
    return true
  }
}

/** Whether `id` lies below `root` in the node tree. */
function inScopeOf(nodes: Map<string, NodeConfig>, id: string, root: string): boolean {
  for (let cur = nodes.get(id)?.parent; cur !== undefined; cur = nodes.get(cur)?.parent) if (cur === root) return true
  return false
}


const INSTANCES = new WeakMap<object, Coverage>()

/** `a、b、c` — at most LIST_MAX names, then “等 N 户”. */
export function listText(names: string[]): string {
  if (names.length <= LIST_MAX) return names.join('、')
  return `${names.slice(0, LIST_MAX).join('、')} 等 ${names.length} 户`
}

/** The coverage feature of an app (undefined when no households are configured). */
export function coverageOf(app: object): Coverage | undefined { return INSTANCES.get(app) }

/** Records the app's coverage feature (install.ts). */
export function setCoverageOf(app: object, c: Coverage): void { INSTANCES.set(app, c) }
