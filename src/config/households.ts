/**
 * Loads `config/households.yaml` (optional): the villages' grids, grid workers (网格员),
 * household rosters or nickname patterns, and the acknowledgment deadlines by severity.
 *
 * ```yaml
 * deadlines: { urgent: 120, normal: 720 }     # minutes after the post; a severity left out: no follow-up
 * villages:
 *   - village: zhongzi-xicun                  # a village node of network.yaml
 *     grids:
 *       - grid: 1                             # number (or slug); nicknames say 1组 / 一组
 *         name: 一组
 *         workers: [chen-xiuying]             # person ids of people.yaml
 *         households:
 *           - { name: 李德明户, members: [李德明, 王秀英] }
 *   - village: yangmu-qinggang
 *     nickname: default                       # 3组-李翠英 → grid 3; or a regex with (?<grid>…)(?<name>…)
 *     grids:
 *       - { grid: 3, name: 三组, workers: [wang-fang] }
 * ```
 * Problems are reported like load.ts: file, line, path, what is allowed.
 */
import { access } from 'node:fs/promises'
import { SEVERITIES, type Severity } from '../domain/announcement.ts'
import {
  DEFAULT_NICKNAME, gridNumber, householdKey,
  type Grid, type Household, type HouseholdsConfig, type VillageHouseholds,
} from '../domain/households.ts'
import { describe, readSource, Reader, unknownRef, type Fields, type Obj, type Path, type Problems } from './yaml-source.ts'

export const HOUSEHOLDS_FILE = 'households.yaml'
const FILE_HINT = 'the villages’ grids, grid workers and household rosters (`villages:`), and `deadlines:`'

const TOP_FIELDS: Fields = {
  deadlines: { hint: `minutes after a post until grid workers are told the missing households, per severity: ${SEVERITIES.join(', ')}` },
  villages: { required: true, hint: 'a list of { village, nickname, grids }' },
}
const DEADLINE_FIELDS: Fields = Object.fromEntries(SEVERITIES.map(s => [s, { hint: 'minutes (a number ≥ 0)' }]))
const VILLAGE_FIELDS: Fields = {
  village: { required: true, hint: 'a village node id of network.yaml' },
  nickname: { hint: 'default, or a regular expression with named groups (?<grid>…) and (?<name>…), optionally (?<household>…)' },
  grids: { required: true, hint: 'a list of { grid, name, workers, households }' },
}
const GRID_FIELDS: Fields = {
  grid: { required: true, hint: 'the grid number as in nicknames (3 for 3组), or a slug' },
  name: { hint: 'display name, e.g. 三组 (default: <grid>组)' },
  workers: { hint: 'person ids of the grid workers (网格员)' },
  households: { hint: 'a list of { name, members }' },
}
const HOUSEHOLD_FIELDS: Fields = {
  name: { required: true, hint: 'the household as the grid worker calls it, e.g. 李德明户' },
  members: { required: true, hint: 'member names as in WeChat, e.g. [李德明, 王秀英]' },
}

/** What the households file refers to in the rest of the configuration. */
export interface HouseholdRefs {
  /** Node id → its level. */
  nodes: Map<string, string | undefined>
  people: Set<string>
}

/**
 * Reads `<configDir>/households.yaml` if present. Returns undefined when there is no such file
 * (no households configured) or when it has problems (reported into `problems`).
 */
export async function loadHouseholds(file: string, problems: Problems, refs: HouseholdRefs): Promise<HouseholdsConfig | undefined> {
  try { await access(file) } catch { return undefined }
  const src = await readSource(file, problems, FILE_HINT)
  if (!src) return undefined
  const before = problems.list.length
  const cfg = parseHouseholds(new Reader(src, problems), refs)
  return problems.list.length === before ? cfg : undefined
}

function parseHouseholds(r: Reader, refs: HouseholdRefs): HouseholdsConfig {
  const out: HouseholdsConfig = { deadlines: {}, villages: new Map() }
  const top = r.mapping(r.src.data, [], TOP_FIELDS)
  if (!top) return out
  if (top.deadlines != null) {
    const d = r.mapping(top.deadlines, ['deadlines'], DEADLINE_FIELDS)
    for (const s of SEVERITIES) {
      const minutes = d && r.number(d, ['deadlines'], s, 0)
      if (minutes !== undefined) out.deadlines[s as Severity] = minutes
    }
  }
  const firstAt = new Map<string, Path>()
  r.list(top, [], 'villages').forEach((raw, i) => {
    const at: Path = ['villages', i]
    const v = parseVillage(r, raw, at, refs)
    if (!v) return
    const first = firstAt.get(v.village)
    if (first) return r.report([...at, 'village'], `village "${v.village}" is listed twice; first at ${r.place(first)}`)
    firstAt.set(v.village, at)
    out.villages.set(v.village, v)
  })
  return out
}

function parseVillage(r: Reader, raw: unknown, at: Path, refs: HouseholdRefs): VillageHouseholds | undefined {
  const obj = r.mapping(raw, at, VILLAGE_FIELDS)
  if (!obj) return undefined
  const village = r.string(obj, at, 'village', true)
  if (village !== undefined) {
    const level = refs.nodes.get(village)
    if (!refs.nodes.has(village)) r.report([...at, 'village'], `${unknownRef('node', 'nodes', village, refs.nodes.keys())} (declared in network.yaml)`)
    else if (level !== 'village') r.report([...at, 'village'], `"${village}" is a ${level ?? 'node'}; households belong to village nodes`)
  }
  const nickname = parseNickname(r, obj, at)
  const keys = new Map<string, Path>()
  const gridIds = new Map<string, Path>()
  const grids: Grid[] = []
  r.list(obj, at, 'grids').forEach((g, j) => {
    const grid = parseGrid(r, g, [...at, 'grids', j], refs, keys)
    if (!grid) return
    const first = gridIds.get(grid.id)
    if (first) return r.report([...at, 'grids', j, 'grid'], `grid "${grid.id}" is listed twice in this village; first at ${r.place(first)}`)
    gridIds.set(grid.id, [...at, 'grids', j])
    grids.push(grid)
  })
  if (grids.length > 0 && !nickname && grids.every(g => g.households.length === 0)) {
    r.report([...at, 'grids'], 'no way to place members: give households (a roster) in the grids, or a `nickname:` pattern')
  }
  return village === undefined ? undefined : { village, grids, ...(nickname ? { nickname } : {}) }
}

function parseNickname(r: Reader, obj: Obj, at: Path): RegExp | undefined {
  const raw = r.string(obj, at, 'nickname')
  if (raw === undefined) return undefined
  if (raw === 'default') return DEFAULT_NICKNAME
  let re: RegExp
  try {
    re = new RegExp(raw, 'u')
  } catch (err) {
    r.report([...at, 'nickname'], `not a valid regular expression (${(err as Error).message}); use default, or e.g. ^(?<grid>\\d+)组-(?<name>.+)$`)
    return undefined
  }
  if (!/\(\?<grid>/.test(raw)) {
    r.report([...at, 'nickname'], 'must have a named group (?<grid>…) for the grid number; (?<name>…) and (?<household>…) are optional')
    return undefined
  }
  return re
}

function parseGrid(r: Reader, raw: unknown, at: Path, refs: HouseholdRefs, keys: Map<string, Path>): Grid | undefined {
  const obj = r.mapping(raw, at, GRID_FIELDS)
  if (!obj) return undefined
  const rawId = obj.grid
  let id: string | undefined
  if (typeof rawId === 'number' && Number.isInteger(rawId) && rawId >= 0) id = String(rawId)
  else if (typeof rawId === 'string' && rawId.trim() !== '') id = gridNumber(rawId.trim())
  else if (rawId != null) r.report([...at, 'grid'], `must be a grid number such as 3 or a slug (got ${describe(rawId)})`)
  const name = r.string(obj, at, 'name')
  const workers = r.strings(obj, at, 'workers', 'a person id')
  workers.forEach((w, k) => {
    if (!refs.people.has(w)) r.report([...at, 'workers', k], `${unknownRef('person', 'people', w, refs.people)} (declared in people.yaml)`)
  })
  if (id === undefined) return undefined
  const households: Household[] = []
  r.list(obj, at, 'households').forEach((h, k) => {
    const hAt: Path = [...at, 'households', k]
    const hObj = r.mapping(h, hAt, HOUSEHOLD_FIELDS)
    if (!hObj) return
    const hName = r.string(hObj, hAt, 'name')
    const members = r.strings(hObj, hAt, 'members', 'a member name')
    if (hObj.members != null && members.length === 0) r.report([...hAt, 'members'], 'needs at least one member name')
    if (hName === undefined) return
    const key = householdKey(id, hName)
    const first = keys.get(key)
    if (first) return r.report([...hAt, 'name'], `household "${hName}" is listed twice in grid ${id}; first at ${r.place(first)}`)
    keys.set(key, hAt)
    households.push({ key, name: hName, grid: id, members })
  })
  return { id, name: name ?? `${id}组`, workers, households }
}
