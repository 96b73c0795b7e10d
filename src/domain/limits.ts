/**
 * Limits that keep one stranger, villager or curator from taking what the district's notices
 * need (issue 13, "abuse resistance"). Pure: numbers and small decisions, no I/O.
 */

/**
 * Share of an account's daily budget that chat may use when bots/*.yaml gives no `chatBudget`:
 * replies to people who are not bound, case DMs and rumor answers. The rest is kept for notices
 * (group posts, approval requests, answers to staff).
 */
export const CHAT_BUDGET_SHARE = 0.2

/** The most chat sends an account makes per day (at least 1, at most the whole budget). */
export function chatBudgetOf(pacing: { dailyBudget: number; chatBudget?: number }): number {
  const set = pacing.chatBudget ?? Math.floor(pacing.dailyBudget * CHAT_BUDGET_SHARE)
  return Math.max(1, Math.min(pacing.dailyBudget, set))
}

/** A contact that is not bound gets the "not bound" answer once in this time, then silence. */
export const STRANGER_ANSWER_TTL_S = 24 * 3600

/** Cases one reporter (a contact of one account) may have open at once; the next is refused politely. */
export const MAX_OPEN_CASES_PER_REPORTER = 5

/** Closed cases are moved to the archive this long after they were closed. */
export const CASE_ARCHIVE_AFTER_DAYS = 30

/**
 * Longest chat message that is read at all (UTF-16 units): the API's 2,000 characters of a notice,
 * plus a command's verb and code. Longer messages are not parsed (a staff member in a private chat
 * is told so), so no parser ever sees 64k characters.
 */
export const MAX_INBOUND_CHARS = 2_100
