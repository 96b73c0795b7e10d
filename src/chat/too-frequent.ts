/**
 * WeChat's "too frequent" answer (error 1205, 操作太频繁) and the account-wide back-off it
 * calls for. Pure: no I/O.
 *
 * Retrying the one refused message would only anger WeChat more (accounts get blocked): the
 * whole account's outbox pauses instead, longer each time WeChat refuses again, up to a cap.
 */

/** WeChat's BaseResponse.Ret for "operating too frequently". */
export const WECHAT_TOO_FREQUENT = 1205

/** How an account backs off after "too frequent": `baseMs · 2^(strikes-1)`, at most `maxMs`. */
export interface BackoffPolicy { baseMs: number; maxMs: number }

/** One minute, then 2, 4, 8 … up to half an hour. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 60_000, maxMs: 30 * 60_000 }

const TOO_FREQUENT_TEXT = /操作太频繁|操作过于频繁|发送太频繁|too\s*frequent/i
/** "1205" as a number of its own (not part of a longer id or timestamp). */
const CODE_TEXT = new RegExp(`(^|\\D)${WECHAT_TOO_FREQUENT}(\\D|$)`)
/** How deep to follow `cause` chains (errors wrapped by the puppet or Wechaty). */
const MAX_DEPTH = 4

/**
 * True when a failed send was WeChat refusing because the account sends too often: Ret 1205
 * in the web API's BaseResponse (as wechat4u attaches it to the error), or the code or the
 * Chinese/English wording in the message, also inside wrapped causes.
 */
export function isTooFrequent(err: unknown, depth = 0): boolean {
  if (err === null || err === undefined || depth > MAX_DEPTH) return false
  if (typeof err === 'string') return TOO_FREQUENT_TEXT.test(err) || CODE_TEXT.test(err)
  if (typeof err !== 'object') return false
  const e = err as { message?: unknown; code?: unknown; response?: { data?: { BaseResponse?: { Ret?: unknown; ErrMsg?: unknown } } }; cause?: unknown }
  const base = e.response?.data?.BaseResponse
  if (base && (Number(base.Ret) === WECHAT_TOO_FREQUENT || (typeof base.ErrMsg === 'string' && TOO_FREQUENT_TEXT.test(base.ErrMsg)))) return true
  if (Number(e.code) === WECHAT_TOO_FREQUENT) return true
  if (typeof e.message === 'string' && isTooFrequent(e.message, depth + 1)) return true
  return isTooFrequent(e.cause, depth + 1)
}

/** The pause after the `strikes`-th "too frequent" in a row (strikes ≥ 1). */
export function backoffDelay(strikes: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(strikes))
  // 2^30 already exceeds any sensible cap; keep the exponent small to stay finite.
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30))
}
