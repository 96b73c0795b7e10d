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
 * `same` when the recorded members among the candidate's are at least half of the smaller of the
 * two lists, and at least two of them when both lists have more than three members (a group grows
 * and loses members, and people rename themselves; a look-alike holding the account and a stranger
 * or two matches none, or one copied name — which passes only for a group of three or fewer).
 */
export function groupEvidence(recorded: readonly string[], candidate: readonly string[]): Evidence {
  const rec = new Set(recorded.filter(Boolean))
  const cand = new Set(candidate.filter(Boolean))
  let matched = 0
  for (const n of cand) if (rec.has(n)) matched++
  const base = { matched, recorded: rec.size, candidate: cand.size }
  if (rec.size === 0) return { verdict: 'no record', ...base }
  const smaller = Math.min(rec.size, cand.size)
  const need = Math.max(smaller > 3 ? 2 : 1, Math.ceil(smaller / 2))
  return { verdict: matched >= need ? 'same' : 'different', ...base }
}
