/**
 * What a signed-in person sees and may do in the command centre, from the config that already
 * exists (network.yaml's publishers, curators, backups; households.yaml's grid workers) — no
 * second list of rights. Ops (the API token) see everything. Every page, the live stream and the
 * command centre's JSON read through a Scope; a node outside it is "not found".
 *
 *   publisher of N     sees N's subtree; publishes from N, corrects and retracts N's notices
 *   curator/backup N   sees N's subtree; approves, rejects, edits, classifies what waits at N
 *   grid worker        sees the villages of their grids (notices, cases) and only their grids' households
 *   ops                everything, the accounts, invites and bound people
 */
import type { Cascade } from '../spine/cascade.ts'

export interface Scope {
  ops: boolean
  /** The person signed in (undefined for ops). */
  person?: string
  /** Viewers with the same key see the same pages (one live render serves them all). */
  key: string
  /** The topmost nodes seen (a person's subtrees start there). */
  roots: string[]
  /** Every node seen. */
  nodes: Set<string>
  /** Nodes seen as staff (publisher, curator, backup of them or of a node above): all their households. */
  staff: Set<string>
  /** The nodes above the roots (the way a notice came down, shown for context). */
  above: Set<string>
  publishes: string[]
  approves: string[]
  /** village → the grids of it this grid worker covers. */
  grids: Map<string, Set<string>>
}

function subtree(app: Cascade, node: string, into: Set<string>): void {
  if (into.has(node)) return
  into.add(node)
  for (const c of app.children(node)) subtree(app, c, into)
}

export function opsScope(app: Cascade): Scope {
  const nodes = new Set(app.cfg.nodes.keys())
  return { ops: true, key: 'ops', roots: [app.cfg.rootId], nodes, staff: nodes, above: new Set(), publishes: [...nodes].filter(n => app.cfg.nodes.get(n)!.publishers.length > 0 || n === app.cfg.rootId), approves: [], grids: new Map() }
}

export function personScope(app: Cascade, person: string): Scope {
  const r = app.rolesOf(person)
  const staff = new Set<string>()
  for (const n of [...r.publisher, ...r.curator, ...r.backup]) subtree(app, n, staff)
  const nodes = new Set(staff)
  const grids = new Map<string, Set<string>>()
  for (const v of r.gridWorker) {
    nodes.add(v)
    const mine = app.cfg.households?.villages.get(v)?.grids.filter(g => g.workers.includes(person)).map(g => g.id) ?? []
    grids.set(v, new Set(mine))
  }
  const roots = [...nodes].filter(n => !nodes.has(app.cfg.nodes.get(n)?.parent ?? ''))
  const above = new Set<string>()
  for (const root of roots) for (let p = app.cfg.nodes.get(root)?.parent; p; p = app.cfg.nodes.get(p)?.parent) above.add(p)
  return {
    ops: false, person, key: `p:${person}`, roots, nodes, staff, above,
    publishes: r.publisher, approves: app.approvesFor(person), grids,
  }
}

/** The nodes of a path up to the root, root first (for "朝天区 › 中子镇"). */
export function pathTo(app: Cascade, node: string): string[] {
  const out: string[] = []
  for (let p: string | undefined = node; p; p = app.cfg.nodes.get(p)?.parent) out.unshift(p)
  return out
}

/** Whether a notice is the scope's business: it started in it or reached a node of it. */
export function seesNotice(scope: Scope, origin: string, relayNodes: Iterable<string>): boolean {
  if (scope.ops || scope.nodes.has(origin)) return true
  for (const n of relayNodes) if (scope.nodes.has(n)) return true
  return false
}

/** Whether the scope sees the households of a grid of a village. */
export function seesGrid(scope: Scope, village: string, grid: string): boolean {
  return scope.ops || scope.staff.has(village) || (scope.grids.get(village)?.has(grid) ?? false)
}

/** Names of members not placed in a household: for ops and the village's own curators and backups. */
export function seesUnassignedNames(app: Cascade, scope: Scope, village: string): boolean {
  if (scope.ops) return true
  const n = app.cfg.nodes.get(village)
  return !!scope.person && !!n && (n.curators.includes(scope.person) || n.backups.includes(scope.person))
}
