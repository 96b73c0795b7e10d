/**
 * Who is who, read from the configuration once: people and their roles, nodes, the tree,
 * groups by topic. Pure: no Redis, no clock — every part of the spine and every feature asks
 * it instead of walking `cfg` by hand.
 */
import type { CascadeConfig, GroupKind, NodeConfig } from '../config/types.ts'

/** Author id used for announcements published by ops from the command line. */
export const CLI_AUTHOR = 'ops-cli'
/** Author id of announcements published, corrected or retracted in the web command centre (src/web/). */
export const WEB_AUTHOR = 'ops-web'
/** Actor recorded when a policy, not a person, forwarded a relay or closed it. */
export const POLICY_ACTOR = 'policy'
/** Author of a notice the province handed down, and actor of its retraction (src/features/province/). */
export const PROVINCE_ACTOR = 'province'

export type Roles = { publisher: string[]; curator: string[]; backup: string[]; gridWorker: string[] }

export function publicGroups(n: NodeConfig) { return n.groups.filter(g => g.kind === 'public') }

export class Directory {
  /** Configured groups by topic. */
  private readonly groups = new Map<string, { node: string; kind: GroupKind }>()

  constructor(readonly cfg: CascadeConfig) {
    for (const n of cfg.nodes.values()) for (const g of n.groups) this.groups.set(g.topic, { node: n.id, kind: g.kind })
  }

  rolesOf(person: string): Roles {
    const roles: Roles = { publisher: [], curator: [], backup: [], gridWorker: [] }
    for (const n of this.cfg.nodes.values()) {
      if (n.publishers.includes(person)) roles.publisher.push(n.id)
      if (n.curators.includes(person)) roles.curator.push(n.id)
      if (n.backups.includes(person)) roles.backup.push(n.id)
    }
    // Grid workers (网格员) of config/households.yaml: the villages of their grids.
    for (const v of this.cfg.households?.villages.values() ?? []) {
      if (v.grids.some(g => g.workers.includes(person))) roles.gridWorker.push(v.village)
    }
    return roles
  }

  /** Nodes whose relays this person may decide: as curator or backup curator. */
  approvesFor(person: string): string[] {
    const r = this.rolesOf(person)
    return [...r.curator, ...r.backup]
  }

  hasRole(person: string): boolean {
    const r = this.rolesOf(person)
    return r.publisher.length + r.curator.length + r.backup.length + r.gridWorker.length > 0
  }

  /** The person's roles in words, for the replies to binding. */
  rolesText(person: string): string {
    const r = this.rolesOf(person)
    const parts = [
      ...r.publisher.map(n => `${this.nodeName(n)}发布员`),
      ...r.curator.map(n => `${this.nodeName(n)}审核员`),
      ...r.backup.map(n => `${this.nodeName(n)}后备审核员`),
      ...r.gridWorker.map(n => `${this.nodeName(n)}网格员`),
    ]
    return parts.join('、') || '无'
  }

  personName(id: string): string {
    if (id === CLI_AUTHOR) return '运维（命令行）'
    if (id === WEB_AUTHOR) return '运维（指挥中心）'
    // Not "auto-forwarded": a policy also reminds, escalates and expires (the audit says which it did).
    if (id === POLICY_ACTOR) return '系统（按规则）'
    if (id === PROVINCE_ACTOR) return this.cfg.province?.name ?? '省级'
    return this.cfg.people.get(id)?.name ?? id
  }

  nodeName(id: string): string { return this.cfg.nodes.get(id)?.name ?? id }

  node(id: string): NodeConfig {
    const n = this.cfg.nodes.get(id)
    if (!n) throw new Error(`unknown node "${id}"`)
    return n
  }

  children(node: string): string[] { return this.cfg.children.get(node) ?? [] }

  /** The node and kind of a configured group, by its topic. */
  groupOf(topic: string): { node: string; kind: GroupKind } | undefined { return this.groups.get(topic) }
}
