/**
 * Hardening of the HTTP side (issue 13, item 11): which token `serve` accepts, what clients see
 * of a bad request, and what `/status` shows without a token. Used by src/app/http.ts and
 * src/cli/serve.ts.
 */
import type { NextFunction, Request, Response } from 'express'
import type { Logger } from '../infra/log.ts'
import type { Store } from '../store/store.ts'

/** Where `serve` and `run` listen unless HOST says otherwise (docker-compose sets 0.0.0.0). */
export const DEFAULT_HOST = '127.0.0.1'
/** The port of PORT (`serve` and `run`), or why it is not one (issue 26 item 6: not a NaN range error). */
export function portSetting(value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined || value.trim() === '') return fallback
  const n = Number(value.trim())
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`PORT=${value} is not a port: give a whole number from 1 to 65535${fallback ? ` (default ${fallback})` : ''}, or 0 for any free port`)
  return n
}

/** Shortest API token `serve` starts with. */
export const MIN_TOKEN_CHARS = 32
/** Tokens from examples and docs, refused whatever their length. */
const EXAMPLE_TOKENS = new Set(['change-me', 'change-me-too', 'changeme', 'secret', 'token'])

/** Why `serve` must not start with this API token, or undefined when it is fine (or unset). */
export function tokenProblem(token: string | undefined): string | undefined {
  if (token === undefined) return undefined
  if (EXAMPLE_TOKENS.has(token.trim().toLowerCase())) return `CASCADE_API_TOKEN is the example value "${token}": set a long random one, e.g. openssl rand -hex 32`
  if (token.length < MIN_TOKEN_CHARS) return `CASCADE_API_TOKEN is ${token.length} characters: use at least ${MIN_TOKEN_CHARS}, e.g. openssl rand -hex 32`
  return undefined
}

/** A client's mistake in a request: its status, and the reason said back (English for the API, Chinese for pages). */
export interface ClientError { status: 400 | 413 | 415; type: string; reason: string; zh: string }

const BAD_BODY: Record<string, Omit<ClientError, 'type'>> = {
  'entity.too.large': { status: 413, reason: 'request body too large (at most 64 kB)', zh: '提交的内容过长（最多 64 kB）。' },
  'parameters.too.many': { status: 413, reason: 'too many form fields', zh: '表单字段过多。' },
  'charset.unsupported': { status: 415, reason: 'unsupported charset: send UTF-8', zh: '不支持该字符集，请使用 UTF-8。' },
  'encoding.unsupported': { status: 415, reason: 'unsupported Content-Encoding: send identity, gzip, deflate or br', zh: '不支持该内容编码。' },
  'entity.parse.failed': { status: 400, reason: 'malformed request body (JSON expected)', zh: '提交的内容无法读取，请刷新页面后重试。' },
  'field.repeated': { status: 400, reason: 'a form field was sent more than once', zh: '表单中有字段重复提交。' },
}
const MALFORMED = { status: 400, reason: 'malformed request (a cut body or an undecodable URL)', zh: '请求无法读取，请刷新页面后重试。' } as const

/**
 * A client's mistake caught by the body parsers or the router (issue 13, item 11; issue 23, item 4):
 * a body over the limit or with too many fields (413), a charset or Content-Encoding we do not read
 * (415), a repeated form field, JSON that does not parse, a cut or undecodable body or URL (400).
 * Undefined for anything else (a fault of ours: 500).
 */
export function clientErrorOf(err: unknown): ClientError | undefined {
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; expose?: unknown }
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined
  if (status === undefined || status < 400 || status >= 500) return undefined
  const type = typeof e.type === 'string' ? e.type : 'client'
  const known = BAD_BODY[type]
  if (known) return { ...known, type }
  if (status === 413) return { ...BAD_BODY['entity.too.large'], type }
  if (status === 415) return { status, type, reason: 'unsupported request body', zh: '不支持该提交格式。' }
  return { ...MALFORMED, type }
}

/**
 * Answers a client's mistake with its status and a plain reason, logged at info without the body.
 * False for anything else (a fault of ours: 500).
 */
export function answerClientError(err: unknown, res: Response, log: Logger): boolean {
  const e = clientErrorOf(err)
  if (!e) return false
  log.info('http.refused', { status: e.status, type: e.type })
  res.status(e.status).json({ error: e.reason })
  return true
}

/**
 * Middleware after a form parser: a field sent twice (`_csrf=a&_csrf=b`) arrives as an array, which
 * no handler expects; it is refused as 400 before any handler sees it.
 */
export function singleFields(req: Request, _res: Response, next: NextFunction): void {
  const body = req.body as Record<string, unknown> | undefined
  if (body && typeof body === 'object' && Object.values(body).some(v => typeof v !== 'string')) {
    next(Object.assign(new Error('form field repeated'), { status: 400, type: 'field.repeated' }))
    return
  }
  next()
}

/** The readiness report without a token: per account counts and states, no person ids or group names. */
export function publicReadiness<R extends { ready: boolean; redis: boolean; bots: Record<string, unknown>[] }>(r: R): R {
  return {
    ...r,
    bots: r.bots.map(b => {
      const { missingGroups, missingPeople, lastFault, logoutReason, ...rest } = b as Record<string, unknown> & { missingGroups?: unknown[]; missingPeople?: unknown[] }
      void lastFault
      void logoutReason
      return { ...rest, missingGroups: missingGroups?.length ?? 0, missingPeople: missingPeople?.length ?? 0 }
    }),
  }
}

/** Sign-in attempts with a wrong token one address may make per window (issue 23, item 6). */
export const SIGN_IN_TRIES = 10
export const SIGN_IN_WINDOW_S = 60

/**
 * Counts sign-in attempts per client address in Redis (`{ns}:cc:signin:<address>`, TTL one
 * window), so the limit holds across `serve` processes and against parallel guesses: the count is
 * taken before the token is compared, and given back when it was right.
 */
export class SignInLimit {
  constructor(private readonly store: Store, readonly tries = SIGN_IN_TRIES, readonly windowS = SIGN_IN_WINDOW_S) {}

  private key(address: string): string { return `${this.store.keys.base}cc:signin:${address}` }

  /** Takes one attempt; the seconds to wait when the address has none left, else undefined. */
  async take(address: string): Promise<number | undefined> {
    const key = this.key(address)
    // The window starts with the first attempt (SET NX), INCR keeps its expiry.
    const replies = await this.store.redis.multi().set(key, '0', 'EX', this.windowS, 'NX').incr(key).ttl(key).exec()
    const [count, ttl] = [Number(replies?.[1]?.[1]), Number(replies?.[2]?.[1])]
    return count > this.tries ? Math.max(1, ttl) : undefined
  }

  /** Gives back an attempt that signed in. */
  async giveBack(address: string): Promise<void> { await this.store.redis.decr(this.key(address)) }
}

/** The address a sign-in limit counts for: IPv4 as is, IPv6 by its /64 (one host can hold a whole /64). */
export function addressBucket(ip: string | undefined): string {
  if (!ip) return 'unknown'
  const v4 = /^(?:::ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  if (v4) return v4[1]
  if (!ip.includes(':')) return ip
  const bare = ip.split('%')[0]
  const [head, tail] = bare.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
  return `${groups.slice(0, 4).map(g => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`
}

/**
 * Express's `trust proxy` from CASCADE_TRUST_PROXY: unset or 0, none (the peer is the client);
 * a number, that many proxies in front; else addresses or CIDRs of the proxies, comma-separated
 * (`loopback`, `10.0.0.0/8`). "true" (trust any X-Forwarded-For) is refused: anyone could then
 * choose their address and the sign-in limit would count nothing.
 */
export function trustProxySetting(value: string | undefined): number | string | false {
  const v = (value ?? '').trim()
  if (v === '' || v === '0' || v.toLowerCase() === 'false') return false
  if (/^\d+$/.test(v)) return Number(v)
  if (/^(true|yes|all)$/i.test(v)) throw new Error(`CASCADE_TRUST_PROXY=${v} would trust any X-Forwarded-For: give the number of proxies in front (e.g. 1) or their addresses (e.g. loopback, 10.0.0.0/8)`)
  return v
}
