/**
 * Is this group the configured one? Web WeChat gives a group only its name, which anyone can
 * give any group, so a group that turns up under a configured name is compared with the members
 * recorded the last time the configured group was known (their WeChat names: contact ids change
 * at every login). Pure.
 */

export interface Evidence {
  /** `same`: most members are the recorded ones; `different`: they are not; `no record`: nothing to compare. */
  verdict: 'same' | 'different' | 'no record'
  matched: number
  recorded: number
  candidate: number
}

/** Members a record keeps at most (a group's first ones by name; enough to recognise it). */
export const RECORD_MAX = 500

/**
 * `same` when at least two of the candidate's members are recorded ones and they are at least
 * half of the smaller of the two lists (a group grows and loses members; a look-alike holding
 * the account and a stranger or two matches none or one).
 */
export function groupEvidence(recorded: readonly string[], candidate: readonly string[]): Evidence {
  const rec = new Set(recorded.filter(Boolean))
  const cand = new Set(candidate.filter(Boolean))
  let matched = 0
  for (const n of cand) if (rec.has(n)) matched++
  const base = { matched, recorded: rec.size, candidate: cand.size }
  if (rec.size === 0) return { verdict: 'no record', ...base }
  const need = Math.max(2, Math.ceil(Math.min(rec.size, cand.size) / 2))
  return { verdict: matched >= need ? 'same' : 'different', ...base }
}
