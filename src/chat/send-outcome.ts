/**
 * What a failed `say()` means for the post: was it refused (nothing was posted: send it again),
 * or is its outcome unknown (it may be in the group: confirm it by its echo, else send it once
 * more marked 【补发】)? Real web WeChat answers some sends with an error code although the message
 * was delivered (e.g. 1204), so only the answers known to mean "not posted" count as refusals:
 * 1205 (too frequent), 1 (bad target), 1100/1101/1102 (the session has ended), an HTTP 4xx, and
 * a connection that was never made. Every other error code, an HTTP 5xx, a timeout or a cut
 * connection leaves the outcome unknown.
 */
import { httpStatusOf, LOGGED_OUT_RETS, retOf } from './client-events.ts'
import { isTooFrequent } from './too-frequent.ts'

/** A send that took longer than the send timeout: it may or may not have reached WeChat. */
export class SendTimeout extends Error {}

export type SendFailure =
  /** WeChat's 1205: the account pauses, the post waits (not an attempt). */
  | 'too-frequent'
  /** WeChat says the session has ended: the account is being logged out; the post waits or moves. */
  | 'logged-out'
  /** No connection was made (network down, DNS): nothing was sent; the post waits (not an attempt). */
  | 'unreachable'
  /** Refused: nothing was posted; retried as an attempt. */
  | 'refused'
  /** It may have been posted: settled by its echo, else sent again once marked 补发. */
  | 'unknown'

/** Answer codes that say the message was not posted. */
const NOT_POSTED_RETS = new Set([1, 1205, ...LOGGED_OUT_RETS])
/** Connections never made: the request cannot have reached WeChat. */
const NEVER_CONNECTED = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/
/** Failures after which a request may have reached WeChat (no answer was read). */
const UNCERTAIN = /\b(ECONNRESET|ETIMEDOUT|ECONNABORTED|EPIPE|ESOCKETTIMEDOUT)\b|socket hang up|timeout of \d+ms exceeded/i

export function classifySendFailure(err: unknown): SendFailure {
  if (err instanceof SendTimeout) return 'unknown'
  if (isTooFrequent(err)) return 'too-frequent'
  const ret = retOf(err)
  if (ret !== undefined) {
    if (LOGGED_OUT_RETS.has(ret)) return 'logged-out'
    return NOT_POSTED_RETS.has(ret) ? 'refused' : 'unknown'
  }
  const status = httpStatusOf(err)
  if (status !== undefined) return status >= 500 ? 'unknown' : 'refused'
  const e = err as { code?: string; message?: string }
  const text = `${e?.code ?? ''} ${e?.message ?? ''}`
  if (NEVER_CONNECTED.test(text)) return 'unreachable'
  if (UNCERTAIN.test(text)) return 'unknown'
  return 'refused'
}
