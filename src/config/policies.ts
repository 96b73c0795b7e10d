/**
 * Approval policies (config/policies.yaml): how long a relay may wait for its curator, per
 * severity, set for the whole district and overridable per node. Optional file: without it the
 * built-in defaults below apply.
 */
import type { Severity } from '../domain/announcement.ts'
import { SEVERITIES } from '../domain/announcement.ts'
import type { Obj, Path, Reader } from './yaml-source.ts'

export interface ApprovalPolicy {
  /** Minutes after which the curators are reminded. */
  remindAfter: number
  /** Minutes after which the backup curators are asked and the parent node's curators told. */
  escalateAfter: number
  /** Minutes after which the notice is forwarded without review; null: keep waiting; 0: at once, without asking. */
  autoForwardAfter: number | null
  /** Hours after publishing when the announcement expires (pending relays close, nothing more is posted). */
  expiresAfterHours: number
}

export type PolicyOverride = Partial<Record<Severity, Partial<ApprovalPolicy>>>

export interface Policies {
  defaults: Record<Severity, ApprovalPolicy>
  /** Per-node overrides (node id → severity → fields). */
  nodes: Map<string, PolicyOverride>
  /** An urgent correction passes the nodes that approved the original without a new approval. */
  urgentCorrectionsAutoApprove: boolean
}

export const DEFAULT_POLICIES: Policies = {
  defaults: {
    urgent: { remindAfter: 3, escalateAfter: 6, autoForwardAfter: 10, expiresAfterHours: 72 },
    normal: { remindAfter: 30, escalateAfter: 60, autoForwardAfter: null, expiresAfterHours: 168 },
    info: { remindAfter: 120, escalateAfter: 240, autoForwardAfter: null, expiresAfterHours: 168 },
  },
  nodes: new Map(),
  urgentCorrectionsAutoApprove: true,
}

const POLICY_FIELDS = {
  remindAfter: { hint: 'minutes before the curators are reminded' },
  escalateAfter: { hint: 'minutes before backups are asked and the parent node told' },
  autoForwardAfter: { hint: 'minutes before forwarding without review (0: at once, curators not asked), or null to keep waiting' },
  expiresAfterHours: { hint: 'hours until the announcement expires' },
}
const SEVERITY_FIELDS = Object.fromEntries(SEVERITIES.map(s => [s, { hint: `policy for ${s} announcements` }]))
const FILE_FIELDS = {
  defaults: { hint: 'policy per severity (urgent, normal, info) for the whole district' },
  nodes: { hint: 'per-node overrides: <node id>: { <severity>: { <field>: value } }' },
  urgentCorrectionsAutoApprove: { hint: 'true: urgent corrections pass nodes that approved the original' },
}

function readPolicy(r: Reader, raw: unknown, at: Path): Partial<ApprovalPolicy> {
  const obj = r.mapping(raw, at, POLICY_FIELDS)
  if (!obj) return {}
  const out: Partial<ApprovalPolicy> = {}
  for (const key of ['remindAfter', 'escalateAfter', 'expiresAfterHours'] as const) {
    const v = r.number(obj, at, key, 0)
    if (v !== undefined) out[key] = v
  }
  if (obj.autoForwardAfter === null) out.autoForwardAfter = null
  else {
    const v = r.number(obj, at, 'autoForwardAfter', 0)
    if (v !== undefined) out.autoForwardAfter = v
  }
  return out
}

function readSeverities(r: Reader, raw: unknown, at: Path): PolicyOverride {
  const obj = r.mapping(raw, at, SEVERITY_FIELDS)
  const out: PolicyOverride = {}
  if (obj) for (const s of SEVERITIES) if (obj[s] != null) out[s] = readPolicy(r, obj[s], [...at, s])
  return out
}

/** Reads policies.yaml; `nodeIds` are the known nodes (overrides of unknown nodes are problems). */
export function parsePolicies(r: Reader, nodeIds: ReadonlySet<string>): Policies {
  const top = r.mapping(r.src.data ?? {}, [], FILE_FIELDS) as Obj | undefined
  if (!top) return DEFAULT_POLICIES
  const given = top.defaults == null ? {} : readSeverities(r, top.defaults, ['defaults'])
  const defaults = { ...DEFAULT_POLICIES.defaults }
  for (const s of SEVERITIES) defaults[s] = { ...defaults[s], ...given[s] }
  for (const s of SEVERITIES) checkOrder(r, ['defaults', s], defaults[s])
  const nodes = new Map<string, PolicyOverride>()
  const rawNodes = top.nodes == null ? {} : r.mapping(top.nodes, ['nodes'], Object.fromEntries([...nodeIds].map(id => [id, { hint: 'a node id' }])))
  for (const [id, raw] of Object.entries(rawNodes ?? {})) {
    if (nodeIds.has(id)) nodes.set(id, readSeverities(r, raw, ['nodes', id]))
  }
  let auto = DEFAULT_POLICIES.urgentCorrectionsAutoApprove
  if (top.urgentCorrectionsAutoApprove != null) {
    if (typeof top.urgentCorrectionsAutoApprove === 'boolean') auto = top.urgentCorrectionsAutoApprove
    else r.report(['urgentCorrectionsAutoApprove'], 'must be true or false')
  }
  return { defaults, nodes, urgentCorrectionsAutoApprove: auto }
}

/** A reminder after the escalation, or an auto-forward before the reminder, is a mistake worth naming. */
function checkOrder(r: Reader, at: Path, p: ApprovalPolicy): void {
  if (p.escalateAfter < p.remindAfter) r.report([...at, 'escalateAfter'], `must not be less than remindAfter (${p.remindAfter})`)
  // 0 is its own case: the node takes notices unreviewed, nobody is asked or reminded.
  if (p.autoForwardAfter !== null && p.autoForwardAfter !== 0 && p.autoForwardAfter < p.remindAfter) {
    r.report([...at, 'autoForwardAfter'], `must not be less than remindAfter (${p.remindAfter}), or 0 to forward at once, or null to keep waiting`)
  }
}

/** The policy that applies at a node for a severity: district defaults with the node's overrides. */
export function policyFor(p: Policies, node: string, severity: Severity): ApprovalPolicy {
  return { ...p.defaults[severity], ...p.nodes.get(node)?.[severity] }
}
