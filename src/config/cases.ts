/**
 * The response mechanism's settings (config/cases.yaml): SLAs per kind of case, the escalation
 * steps when a case is not taken in time, duplicate and photo windows, and the reward the
 * district promised for a tip found true. Optional file: without it the cases feature is off.
 */
import { existsSync } from 'node:fs'
import { CASE_KINDS, type CaseKind, type EscalationStep, type EscalationTarget, type KindSla } from '../domain/cases.ts'
import { readSource, Reader, type Fields, type Problems } from './yaml-source.ts'

export interface CasesConfig {
  /** SLA per kind: tip (举报), help (求助). */
  kinds: Record<CaseKind, KindSla>
  /** Steps after a missed take deadline, in order. */
  escalation: EscalationStep[]
  /** The same report from the same person within this many minutes opens no second case. */
  duplicateWindowMinutes: number
  /** A photo sent within this many minutes of a report belongs to that case. */
  photoWindowMinutes: number
  /** The reward promised for a verified tip, told to the reporter and recorded (属实). */
  reward: string
}

export const CASES_FILE_HINT = 'the response mechanism for 举报/求助 (kinds, escalation, duplicateWindowMinutes, photoWindowMinutes, reward)'
const ESCALATION_TARGETS: readonly EscalationTarget[] = ['node', 'parent']
const DEFAULT_DUPLICATE_WINDOW_MINUTES = 10
const DEFAULT_PHOTO_WINDOW_MINUTES = 10

const FILE_FIELDS: Fields = {
  kinds: { required: true, hint: 'SLA per kind: tip, help' },
  escalation: { required: true, hint: 'a list of { to: node|parent, afterMinutes }' },
  duplicateWindowMinutes: { hint: `minutes, default ${DEFAULT_DUPLICATE_WINDOW_MINUTES}` },
  photoWindowMinutes: { hint: `minutes, default ${DEFAULT_PHOTO_WINDOW_MINUTES}` },
  reward: { required: true, hint: 'the reward promised for a tip found true, as told to the reporter' },
}
const KINDS_FIELDS: Fields = Object.fromEntries(CASE_KINDS.map(k => [k, { required: true, hint: '{ takeWithinMinutes, closeWithinHours }' }]))
const SLA_FIELDS: Fields = {
  takeWithinMinutes: { required: true, hint: 'minutes to take (接单) a case, fractions allowed' },
  closeWithinHours: { hint: 'hours to close (办结) a case; leave out for no close deadline' },
}
const STEP_FIELDS: Fields = {
  to: { required: true, hint: `${ESCALATION_TARGETS.join(' or ')}: the case's own node (curators and backups) or the node above` },
  afterMinutes: { required: true, hint: 'minutes after the previous step (the first: after the take deadline)' },
}

/**
 * Reads `file` when it exists (problems go to `problems`, as for every config file);
 * undefined when there is no such file or it could not be read.
 */
export async function readCases(file: string, problems: Problems): Promise<CasesConfig | undefined> {
  if (!existsSync(file)) return undefined
  const src = await readSource(file, problems, CASES_FILE_HINT)
  return src && parseCases(new Reader(src, problems))
}

export function parseCases(r: Reader): CasesConfig | undefined {
  const top = r.mapping(r.src.data, [], FILE_FIELDS)
  if (!top) return undefined
  const kindsObj = top.kinds == null ? undefined : r.mapping(top.kinds, ['kinds'], KINDS_FIELDS)
  const kinds = {} as Record<CaseKind, KindSla>
  for (const k of CASE_KINDS) {
    const at = ['kinds', k]
    const sla = kindsObj?.[k] == null ? undefined : r.mapping(kindsObj[k], at, SLA_FIELDS)
    const takeWithinMinutes = sla && r.number(sla, at, 'takeWithinMinutes', 0)
    const closeWithinHours = sla && r.number(sla, at, 'closeWithinHours', 0)
    kinds[k] = { takeWithinMinutes: takeWithinMinutes ?? 0, ...(closeWithinHours !== undefined ? { closeWithinHours } : {}) }
  }
  const escalation: EscalationStep[] = []
  r.list(top, [], 'escalation').forEach((raw, i) => {
    const at = ['escalation', i]
    const step = r.mapping(raw, at, STEP_FIELDS)
    if (!step) return
    const to = r.oneOf(step, at, 'to', ESCALATION_TARGETS)
    const afterMinutes = r.number(step, at, 'afterMinutes', 0)
    if (to !== undefined && afterMinutes !== undefined) escalation.push({ to, afterMinutes })
  })
  return {
    kinds, escalation,
    duplicateWindowMinutes: r.number(top, [], 'duplicateWindowMinutes', 0, DEFAULT_DUPLICATE_WINDOW_MINUTES) ?? DEFAULT_DUPLICATE_WINDOW_MINUTES,
    photoWindowMinutes: r.number(top, [], 'photoWindowMinutes', 0, DEFAULT_PHOTO_WINDOW_MINUTES) ?? DEFAULT_PHOTO_WINDOW_MINUTES,
    reward: r.string(top, [], 'reward') ?? '',
  }
}
