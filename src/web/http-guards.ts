/**
 * Hardening of the HTTP side (issue 13, item 11): which token `serve` accepts, what clients see
 * of a bad request, and what `/readyz` shows without a token. Used by src/app/http.ts and
 * src/cli/serve.ts.
 */
import type { Response } from 'express'
import type { Logger } from '../infra/log.ts'

/** Where `serve` and `run` listen unless HOST says otherwise (docker-compose sets 0.0.0.0). */
export const DEFAULT_HOST = '127.0.0.1'
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

/**
 * A client's mistake caught by the body parsers: a body over the limit (413) or JSON that does not
 * parse (400). Answered with the status and a plain reason, logged without the body. False for
 * anything else (a fault of ours: 500).
 */
export function answerClientError(err: unknown, res: Response, log: Logger): boolean {
  const e = err as { status?: number; type?: string }
  if (e?.status !== 413 && e?.status !== 400) return false
  const status = e.status
  log.info('http.refused', { status, type: e.type })
  res.status(status).json({ error: status === 413 ? 'request body too large' : 'malformed request body (JSON expected)' })
  return true
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
