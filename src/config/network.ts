/**
 * network.yaml: the tree of nodes (district → townships → villages), their groups and the people
 * in their roles; checks of the tree as a whole (parents, cycles, the one root, levels, curators).
 */
import { LEVELS, type GroupConfig, type GroupKind, type Level, type NodeConfig } from './types.ts'
import type { ParsedPerson } from './people.ts'
import { shortList, unknownRef, type Fields, type Obj, type Path, type Reader } from './yaml-source.ts'

/** Categories used when network.yaml has no `categories:`. */
export const DEFAULT_CATEGORIES: readonly string[] = ['通知', '防疫', '生活保障', '辟谣']
const GROUP_KINDS: readonly GroupKind[] = ['public', 'staff']

const NETWORK_FIELDS: Fields = {
  categories: { hint: `a list of announcement categories, default [${DEFAULT_CATEGORIES.join(', ')}]` },
  nodes: { required: true, hint: 'a list of nodes: the district, its townships, their villages' },
}
const NODE_FIELDS: Fields = {
  id: { required: true, hint: 'a slug such as zhongzi-xicun' },
  name: { required: true, hint: 'the display name, e.g. 西村' },
  level: { required: true, hint: LEVELS.join(', ') },
  parent: { hint: 'the parent node id; absent only on the district' },
  groups: { hint: 'a list of { topic, kind }' },
  curators: { hint: 'a list of person ids' },
  backups: { hint: 'a list of person ids' },
  publishers: { hint: 'a list of person ids' },
}
const GROUP_FIELDS: Fields = {
  topic: { required: true, hint: 'the group name in WeChat' },
  kind: { required: true, hint: GROUP_KINDS.join(', ') },
}
const ROLE_FIELDS = ['curators', 'backups', 'publishers'] as const

export interface ParsedNode {
  at: Path
  id: string
  name?: string
  level?: Level
  parent?: string
  groups: GroupConfig[]
  curators: string[]
  backups: string[]
  publishers: string[]
}

export interface Network {
  nodes: Map<string, ParsedNode>
  categories: string[]
}

export function parseNetwork(r: Reader): Network {
  const top = r.mapping(r.src.data, [], NETWORK_FIELDS)
  const nodes = new Map<string, ParsedNode>()
  if (!top) return { nodes, categories: [...DEFAULT_CATEGORIES] }
  const topics = new Map<string, { at: Path; nodeId: string }>()
  r.list(top, [], 'nodes').forEach((raw, i) => {
    const node = parseNode(r, raw, ['nodes', i], topics)
    if (!node) return
    const first = nodes.get(node.id)
    if (first) r.report([...node.at, 'id'], `duplicate node id "${node.id}"; first defined at ${r.place(first.at)}`)
    else nodes.set(node.id, node)
  })
  if (Array.isArray(top.nodes) && top.nodes.length === 0) r.report(['nodes'], 'must list at least one node: the district')
  return { nodes, categories: parseCategories(r, top) }
}

function parseNode(r: Reader, raw: unknown, at: Path, topics: Map<string, { at: Path; nodeId: string }>): ParsedNode | undefined {
  const obj = r.mapping(raw, at, NODE_FIELDS)
  if (!obj) return undefined
  const id = r.string(obj, at, 'id', true)
  const node: ParsedNode = {
    at,
    id: id ?? '',
    name: r.string(obj, at, 'name'),
    level: r.oneOf(obj, at, 'level', LEVELS),
    parent: r.string(obj, at, 'parent'),
    groups: [],
    curators: r.strings(obj, at, 'curators', 'a person id'),
    backups: r.strings(obj, at, 'backups', 'a person id'),
    publishers: r.strings(obj, at, 'publishers', 'a person id'),
  }
  r.list(obj, at, 'groups').forEach((rawGroup, g) => {
    const gAt: Path = [...at, 'groups', g]
    const group = r.mapping(rawGroup, gAt, GROUP_FIELDS)
    if (!group) return
    const topic = r.string(group, gAt, 'topic')
    const kind = r.oneOf(group, gAt, 'kind', GROUP_KINDS)
    if (topic === undefined) return
    const first = topics.get(topic)
    if (first) {
      const msg = `duplicate group topic "${topic}"; also used by node "${first.nodeId}" at ${r.place(first.at)}; groups are found by topic, so topics must be unique`
      r.report([...gAt, 'topic'], msg)
    } else topics.set(topic, { at: gAt, nodeId: node.id })
    if (kind !== undefined) node.groups.push({ topic, kind })
  })
  return id === undefined ? undefined : node
}

function parseCategories(r: Reader, top: Obj): string[] {
  if (top.categories == null) return [...DEFAULT_CATEGORIES]
  const categories = r.strings(top, [], 'categories', 'a category name')
  if (Array.isArray(top.categories) && top.categories.length === 0) {
    r.report(['categories'], `must list at least one category, e.g. [${DEFAULT_CATEGORIES.join(', ')}]; or leave it out for that default`)
  }
  categories.forEach((c, i) => {
    if (categories.indexOf(c) !== i) r.report(['categories', i], `duplicate category "${c}"`)
  })
  return categories
}

export function toNodeConfig(n: ParsedNode): NodeConfig {
  const { at: _at, name, level, ...rest } = n
  return { ...rest, name: name ?? '', level: level ?? 'village' }
}

export function childrenOf(nodes: Map<string, ParsedNode>): Map<string, string[]> {
  const children = new Map<string, string[]>([...nodes.keys()].map((id) => [id, []]))
  for (const n of nodes.values()) if (n.parent !== undefined) children.get(n.parent)?.push(n.id)
  return children
}

/** Checks parents, cycles, the single root, levels by depth and curators; returns the root id. */
export function checkTree(r: Reader, nodes: Map<string, ParsedNode>): string | undefined {
  for (const n of nodes.values()) {
    if (n.parent !== undefined && !nodes.has(n.parent)) {
      r.report([...n.at, 'parent'], unknownRef('node', 'nodes', n.parent, nodes.keys()))
    }
  }
  checkCycles(r, nodes)
  const rootId = checkRoots(r, nodes)
  if (rootId !== undefined) checkLevels(r, nodes, rootId)
  for (const n of nodes.values()) {
    if (n.parent !== undefined && n.curators.length === 0) {
      r.report([...n.at, 'curators'], `a ${n.level ?? 'node'} below the district needs at least one curator (a person id from people.yaml)`)
    }
  }
  return rootId
}

/** Reports each cycle in the parent links once, naming its nodes. */
function checkCycles(r: Reader, nodes: Map<string, ParsedNode>): void {
  const done = new Set<string>()
  for (const start of nodes.keys()) {
    const chain: string[] = []
    for (let id: string | undefined = start; id !== undefined && nodes.has(id) && !done.has(id); id = nodes.get(id)?.parent) {
      const i = chain.indexOf(id)
      if (i >= 0) {
        const cycle = [...chain.slice(i), id].map((c) => `"${c}"`).join(' → ')
        r.report([...(nodes.get(id)?.at ?? []), 'parent'], `cycle in parents: ${cycle}; every chain of parents must end at the district`)
        break
      }
      chain.push(id)
    }
    for (const id of chain) done.add(id)
  }
}

/** Exactly one node (the district) has no parent; returns it. */
function checkRoots(r: Reader, nodes: Map<string, ParsedNode>): string | undefined {
  const roots = [...nodes.values()].filter((n) => n.parent === undefined)
  if (roots.length === 0 && nodes.size > 0) {
    r.report(['nodes'], 'no root: every node has a parent; the district must have none')
  }
  const [root, ...extra] = roots
  for (const n of extra) {
    const msg = `more than one root: "${root.id}" and "${n.id}" both have no parent; only the district may have none (add parent: one of ${shortList(nodes.keys())})`
    r.report(n.at, msg)
  }
  return root?.id
}

/** The root is the district, its children townships, theirs villages; villages have no children. */
function checkLevels(r: Reader, nodes: Map<string, ParsedNode>, rootId: string): void {
  const expectations = [
    'the root (the node without a parent) must be a district',
    'children of the district must be townships',
    'children of a township must be villages',
  ]
  for (const n of nodes.values()) {
    const depth = depthOf(n, nodes, rootId)
    if (depth === undefined) continue
    if (depth === 3) {
      r.report([...n.at, 'parent'], `parent "${n.parent}" is a village; villages cannot have children (district → township → village)`)
    } else if (depth < 3 && n.level !== undefined && n.level !== LEVELS[depth]) {
      r.report([...n.at, 'level'], `must be ${LEVELS[depth]}: ${expectations[depth]} (got "${n.level}")`)
    }
  }
}

/** Number of parent links up to `rootId`; undefined when the chain is broken, cyclic or ends elsewhere. */
function depthOf(n: ParsedNode, nodes: Map<string, ParsedNode>, rootId: string): number | undefined {
  let depth = 0
  let cur = n
  for (; cur.parent !== undefined; depth++) {
    const next = nodes.get(cur.parent)
    if (!next || depth > nodes.size) return undefined
    cur = next
  }
  return cur.id === rootId ? depth : undefined
}

export function checkPersonRefs(r: Reader, nodes: Map<string, ParsedNode>, people: ParsedPerson[]): void {
  const known = people.map((p) => p.id)
  for (const n of nodes.values()) {
    for (const field of ROLE_FIELDS) {
      n[field].forEach((id, i) => {
        if (!known.includes(id)) r.report([...n.at, field, i], `${unknownRef('person', 'people', id, known)} (declared in people.yaml)`)
      })
    }
  }
}
