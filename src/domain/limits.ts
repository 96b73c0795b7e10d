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

/**
 * Share of an account's chat budget that answers to one contact may take in a day, when
 * bots/*.yaml gives no `chatPerContact`: 5 %, and never fewer than CHAT_PER_CONTACT_MIN answers.
 * A new case's confirmation counts on it but is never refused (docs/CASES.md).
 */
export const CHAT_PER_CONTACT_SHARE = 0.05
/** The smallest per-contact slice: a report, its repeat and one usage hint still get answers. */
export const CHAT_PER_CONTACT_MIN = 3

/** The most chat answers one contact gets from an account in a day (at most the chat share). */
export function chatPerContactOf(pacing: { dailyBudget: number; chatBudget?: number; chatPerContact?: number }): number {
  const chat = chatBudgetOf(pacing)
  const set = pacing.chatPerContact ?? Math.max(CHAT_PER_CONTACT_MIN, Math.floor(chat * CHAT_PER_CONTACT_SHARE))
  return Math.max(1, Math.min(chat, set))
}

/**
 * A repeat of a report and an empty command (举报, 求助, 核实 with nothing after it) are answered
 * once per contact and kind in this time, whichever account sees them first; then silence.
 */
export const REPEAT_ANSWER_TTL_S = 3600

/** The Beijing day (YYYY-MM-DD) of a moment: the day the send budgets count on. */
export function beijingDay(now = Date.now()): string { return new Date(now + 8 * 3600_000).toISOString().slice(0, 10) }

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
