/**
 * Households and grids (不漏一户). Pure: maps village members to households and grids, and
 * rolls acknowledgment coverage up from grid to village to township to district.
 *
 * A member is placed from the village's roster (household → member names) or, where the
 * village gives a nickname pattern, from the group nickname (`3组-李翠英` → grid 3). A member
 * that neither places is *unassigned*: counted and listed, never dropped. A name that fits two
 * households of the roster is unassigned too (ambiguous): never guessed.
 */
import type { Severity } from './announcement.ts'

/** One household of a village's roster, or one derived from a group nickname. */
export interface Household {
  /** Unique within the village: `<grid>/<name>`. */
  key: string
  name: string
  grid: string
  /** Member names as in the roster (empty for a household derived from a nickname). */
  members: string[]
}

export interface Grid {
  /** `3`, or a slug; nicknames name it by number (`3组`, `三组`). */
  id: string
  /** Display name, e.g. 三组. */
  name: string
  /** Person ids of the grid workers (网格员). */
  workers: string[]
  households: Household[]
}

export interface VillageHouseholds {
  /** Node id of the village. */
  village: string
  grids: Grid[]
  /**
   * Where nicknames place members: named groups `grid` (required), `name` and `household`
   * (optional; without it each member found this way is a household of their own).
   */
  nickname?: RegExp
}

export interface HouseholdsConfig {
  /** Minutes after a post in a village group when grid workers get the list of missing households; absent = no follow-up. */
  deadlines: Partial<Record<Severity, number>>
  villages: Map<string, VillageHouseholds>
}

/** The nickname pattern used by `nickname: default`: `3组-李翠英`, `三组 李翠英`, `3组12号-李翠英`. */
export const DEFAULT_NICKNAME = /^(?<grid>[0-9一二三四五六七八九十]+)[组社队](?:(?<household>\d+)号)?[-－—_·.\s]*(?<name>\S.*)$/u

/** Where a member belongs. */
export type Placement =
  | { kind: 'household'; grid: string; household: Household }
  | { kind: 'unassigned'; reason: 'unknown' | 'ambiguous' }

const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 }

/** `三` → `3`, `十二` → `12`, `03` → `3`; anything else unchanged. */
export function gridNumber(raw: string): string {
  if (/^\d+$/.test(raw)) return String(Number(raw))
  const m = /^([一二三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(raw)
  if (!m || raw === '') return raw
  if (!m[2]) return m[1] && !m[3] ? String(CN_DIGITS[m[1]]) : raw
  return String((m[1] ? CN_DIGITS[m[1]] : 1) * 10 + (m[3] ? CN_DIGITS[m[3]] : 0))
}

/** A name as compared: NFKC, without spaces. */
export function normName(name: string): string {
  return name.normalize('NFKC').replace(/[\s\u3000]+/g, '')
}

export function householdKey(grid: string, name: string): string { return `${grid}/${name}` }

/** Finds households by member name or nickname; built once per configuration. */
export class HouseholdIndex {
  private readonly byMember = new Map<string, Map<string, Household[]>>()
  private readonly byName = new Map<string, Map<string, Household>>()
  private readonly gridsById = new Map<string, Map<string, Grid>>()

  constructor(readonly cfg: HouseholdsConfig) {
    for (const v of cfg.villages.values()) {
      const members = new Map<string, Household[]>()
      const names = new Map<string, Household>()
      const grids = new Map<string, Grid>()
      for (const g of v.grids) {
        grids.set(g.id, g)
        for (const h of g.households) {
          names.set(h.key, h)
          for (const m of h.members) {
            const list = members.get(normName(m)) ?? []
            if (!list.includes(h)) list.push(h)
            members.set(normName(m), list)
          }
        }
      }
      this.byMember.set(v.village, members)
      this.byName.set(v.village, names)
      this.gridsById.set(v.village, grids)
    }
  }

  village(id: string): VillageHouseholds | undefined { return this.cfg.villages.get(id) }

  grid(village: string, grid: string): Grid | undefined { return this.gridsById.get(village)?.get(grid) }

  /** A roster household by key. */
  household(village: string, key: string): Household | undefined { return this.byName.get(village)?.get(key) }

  /** Places a member of a village group by their nickname (or contact name). */
  locate(village: string, nickname: string): Placement {
    const v = this.cfg.villages.get(village)
    if (!v) return { kind: 'unassigned', reason: 'unknown' }
    const full = normName(nickname)
    const m = v.nickname?.exec(full)
    const grid = m?.groups?.grid !== undefined ? gridNumber(m.groups.grid) : undefined
    const name = m?.groups?.name ? normName(m.groups.name) : full
    let candidates = this.byMember.get(village)?.get(name) ?? this.byMember.get(village)?.get(full) ?? []
    if (grid !== undefined && candidates.length > 1) candidates = candidates.filter(h => h.grid === grid)
    if (candidates.length === 1) return { kind: 'household', grid: candidates[0].grid, household: candidates[0] }
    if (candidates.length > 1) return { kind: 'unassigned', reason: 'ambiguous' }
    if (grid === undefined || !name) return { kind: 'unassigned', reason: 'unknown' }
    const hhName = m?.groups?.household ? `${m.groups.household}号` : `${name}户`
    const key = householdKey(grid, hhName)
    const known = this.byName.get(village)?.get(key)
    return { kind: 'household', grid, household: known ?? { key, name: hhName, grid, members: [] } }
  }

  /** Households of a village or grid whose name (with or without 户) or member name is `query`. */
  findHouseholds(village: string, query: string, known: Iterable<Household> = [], grids?: readonly string[]): Household[] {
    const q = normName(query)
    const all = [...(this.byName.get(village)?.values() ?? []), ...known]
    const seen = new Set<string>()
    const inScope = all.filter(h => (!grids || grids.includes(h.grid)) && !seen.has(h.key) && seen.add(h.key))
    const byName = inScope.filter(h => h.name === q || h.name === `${q}户` || h.name.replace(/户$/, '') === q || h.key === q)
    if (byName.length) return byName
    return inScope.filter(h => h.members.some(m => normName(m) === q))
  }

  /** Every roster household of a village. */
  rosterOf(village: string): Household[] { return [...(this.byName.get(village)?.values() ?? [])] }

  /** Villages (node ids) and grids where a person is a grid worker. */
  gridsOf(person: string): { village: string; grid: Grid }[] {
    const out: { village: string; grid: Grid }[] = []
    for (const v of this.cfg.villages.values()) for (const g of v.grids) if (g.workers.includes(person)) out.push({ village: v.village, grid: g })
    return out
  }

  /** Minutes to the acknowledgment deadline for a severity; undefined = no follow-up. */
  deadlineMinutes(severity: Severity): number | undefined { return this.cfg.deadlines[severity] }
}

// ── coverage of one announcement ─────────────────────────────────────────────

/** How a household was covered. */
export type CoverHow = 'ack' | 'notified'

/** A household's first coverage: a member's 收到 in a group, or a grid worker's 已通知. */
export interface HouseholdMark {
  grid: string
  household: string
  how: CoverHow
  /** The member's name (ack) or the grid worker's person id (notified). */
  by: string
  at: number
  /** Group topic of the acknowledgment. */
  topic?: string
}

/** A member that maps to no household. */
export interface UnassignedMember { contactId: string; name: string; topic: string; at?: number; acked: boolean; reason: 'unknown' | 'ambiguous' }

export interface Counts {
  /** Households known: the roster, plus those derived from nicknames. */
  households: number
  /** … acknowledged in a group by a member. */
  acked: number
  /** … reached by phone or visit (已通知), not acknowledged in a group. */
  notified: number
  /** Members acknowledged (group level; from the spine's counts). */
  membersAcked: number
  /** Members of the groups posted to (as counted at the post). */
  members: number
  /** Members that map to no household (known from acknowledgments and group member lists). */
  unassigned: number
}

export function emptyCounts(): Counts {
  return { households: 0, acked: 0, notified: 0, membersAcked: 0, members: 0, unassigned: 0 }
}

export function addCounts(into: Counts, c: Counts): Counts {
  for (const k of Object.keys(into) as (keyof Counts)[]) into[k] += c[k]
  return into
}

/** Households neither acknowledged nor notified. */
export function missingOf(c: Counts): number { return c.households - c.acked - c.notified }

export interface GridCoverage {
  grid: Grid
  households: { household: Household; mark?: HouseholdMark }[]
  counts: Counts
}

export interface VillageCoverage {
  village: string
  grids: GridCoverage[]
  unassigned: UnassignedMember[]
  counts: Counts
}

/**
 * A village's coverage from its households, the marks of one announcement and the members
 * that did not place. Households derived from nicknames (in `derived`) join their grid; a grid
 * named by a nickname but not configured appears with no worker.
 */
export function villageCoverage(
  idx: HouseholdIndex, village: string, marks: Map<string, HouseholdMark>,
  derived: Household[], unassigned: UnassignedMember[], group: { members: number; membersAcked: number },
): VillageCoverage {
  const v = idx.village(village)
  const grids = new Map<string, GridCoverage>()
  const gridOf = (id: string): GridCoverage => {
    let g = grids.get(id)
    if (!g) {
      g = { grid: idx.grid(village, id) ?? { id, name: `${id}组`, workers: [], households: [] }, households: [], counts: emptyCounts() }
      grids.set(id, g)
    }
    return g
  }
  for (const grid of v?.grids ?? []) gridOf(grid.id)
  const seen = new Set<string>()
  for (const h of [...idx.rosterOf(village), ...derived]) {
    if (seen.has(h.key)) continue
    seen.add(h.key)
    const g = gridOf(h.grid)
    const mark = marks.get(h.key)
    g.households.push({ household: h, mark })
    g.counts.households++
    if (mark?.how === 'ack') g.counts.acked++
    if (mark?.how === 'notified') g.counts.notified++
  }
  const counts = emptyCounts()
  for (const g of grids.values()) addCounts(counts, g.counts)
  counts.members = group.members
  counts.membersAcked = group.membersAcked
  counts.unassigned = unassigned.length
  return { village, grids: [...grids.values()], unassigned, counts }
}

/** Names of the households of a grid not covered, in roster order. */
export function missingHouseholds(g: GridCoverage): Household[] {
  return g.households.filter(h => !h.mark).map(h => h.household)
}

// ── roll-up ──────────────────────────────────────────────────────────────────

export interface CoverageNode {
  id: string
  name: string
  level: 'district' | 'township' | 'village' | 'grid' | 'group'
  counts: Counts
  children: CoverageNode[]
  /** Grid workers (grid level) or unassigned members (village level), for display. */
  workers?: string[]
  unassigned?: UnassignedMember[]
}

export interface TreeSource {
  node(id: string): { id: string; name: string; level: 'district' | 'township' | 'village' } | undefined
  children(id: string): string[]
  /** Coverage of a village with households, or of its groups only. */
  village(id: string): { coverage?: VillageCoverage; groups: { topic: string; members: number; membersAcked: number }[] }
}

/** The coverage tree below `root`: district → township → village → grids and groups. */
export function buildCoverage(src: TreeSource, root: string): CoverageNode | undefined {
  const n = src.node(root)
  if (!n) return undefined
  if (n.level === 'village') return villageNode(src, { ...n, level: 'village' })
  const children = src.children(root).map(c => buildCoverage(src, c)).filter((c): c is CoverageNode => c !== undefined)
  const counts = emptyCounts()
  for (const c of children) addCounts(counts, c.counts)
  return { ...n, counts, children }
}

function villageNode(src: TreeSource, n: { id: string; name: string; level: 'village' }): CoverageNode {
  const { coverage, groups } = src.village(n.id)
  const groupNodes: CoverageNode[] = groups.map(g => ({
    id: g.topic, name: g.topic, level: 'group', children: [],
    counts: { ...emptyCounts(), members: g.members, membersAcked: g.membersAcked },
  }))
  const gridNodes: CoverageNode[] = (coverage?.grids ?? []).map(g => ({
    id: `${n.id}/${g.grid.id}`, name: g.grid.name, level: 'grid', children: [], counts: g.counts, workers: g.grid.workers,
  }))
  const counts = coverage ? { ...coverage.counts } : emptyCounts()
  counts.members = groups.reduce((s, g) => s + g.members, 0)
  counts.membersAcked = groups.reduce((s, g) => s + g.membersAcked, 0)
  return { ...n, counts, children: [...gridNodes, ...groupNodes], unassigned: coverage?.unassigned }
}

/** `已覆盖 12/15 户（收到 10，电话/上门 2）· 收到 30/41 人 · 未归户 3 人` */
export function countsLine(c: Counts): string {
  const parts: string[] = []
  if (c.households > 0) parts.push(`已覆盖 ${c.acked + c.notified}/${c.households} 户（收到 ${c.acked}，电话/上门 ${c.notified}）`)
  if (c.members > 0 || c.membersAcked > 0) parts.push(`收到 ${c.membersAcked}/${c.members} 人`)
  if (c.unassigned > 0) parts.push(`未归户 ${c.unassigned} 人`)
  return parts.join(' · ') || '无数据'
}

/** The tree as indented text lines (for the CLI and chat). */
export function renderCoverage(root: CoverageNode, personName: (id: string) => string = id => id): string {
  const lines: string[] = []
  const walk = (n: CoverageNode, depth: number) => {
    const pad = '  '.repeat(depth)
    const who = n.workers?.length ? `（网格员 ${n.workers.map(personName).join('、')}）` : ''
    lines.push(`${pad}${n.level === 'group' ? '群 ' : ''}${n.name}${who}：${countsLine(n.counts)}`)
    for (const c of n.children) walk(c, depth + 1)
  }
  walk(root, 0)
  return lines.join('\n')
}
