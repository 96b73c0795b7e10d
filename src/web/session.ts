/**
 * Sign-in sessions of the command centre, kept in Redis (so any `cascade serve` process of the
 * namespace knows them) under `{ns}:cc:session:<sha256 of the id>` with a TTL: the cookie holds
 * only the random id, Redis only its hash. Each session carries its own CSRF token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Store } from '../store/store.ts'

/** A session lasts this long after sign-in (CASCADE_SESSION_HOURS overrides it in `serve`). */
export const DEFAULT_SESSION_SECONDS = 8 * 3600

export interface Session {
  csrf: string
  createdAt: number
  expiresAt: number
  /** A one-time message for the next page (the answer to an action). */
  flash?: string
}

export function randomToken(bytes = 32): string { return randomBytes(bytes).toString('base64url') }

function hash(s: string): string { return createHash('sha256').update(s).digest('hex') }

/** Equal strings, compared in constant time (on their hashes, so lengths may differ). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}

export class Sessions {
  constructor(private readonly store: Store, readonly ttlSeconds = DEFAULT_SESSION_SECONDS) {}

  private key(id: string): string { return `${this.store.keys.base}cc:session:${hash(id)}` }

  /** A new session; returns the id for the cookie. */
  async create(now = Date.now()): Promise<{ id: string; session: Session }> {
    const id = randomToken()
    const session: Session = { csrf: randomToken(), createdAt: now, expiresAt: now + this.ttlSeconds * 1000 }
    await this.store.redis.set(this.key(id), JSON.stringify(session), 'EX', this.ttlSeconds)
    return { id, session }
  }

  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 100) return undefined
    const raw = await this.store.redis.get(this.key(id))
    return raw ? JSON.parse(raw) as Session : undefined
  }

  /** Stores a one-time message on the session (keeps its expiry). */
  async setFlash(id: string, flash: string): Promise<void> {
    const s = await this.get(id)
    if (!s) return
    const ttl = Math.max(1, Math.ceil((s.expiresAt - Date.now()) / 1000))
    await this.store.redis.set(this.key(id), JSON.stringify({ ...s, flash }), 'EX', ttl)
  }

  /** Reads and clears the one-time message. */
  async takeFlash(id: string, s: Session): Promise<string | undefined> {
    if (!s.flash) return undefined
    const ttl = Math.max(1, Math.ceil((s.expiresAt - Date.now()) / 1000))
    await this.store.redis.set(this.key(id), JSON.stringify({ ...s, flash: undefined }), 'EX', ttl)
    return s.flash
  }

  async destroy(id: string): Promise<void> { await this.store.redis.del(this.key(id)) }
}

/** The cookies of a request header, by name. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i < 0) continue
    const k = part.slice(0, i).trim()
    if (!k || k in out) continue
    // A value that is not valid percent-encoding (`%E0`) is taken as written, not a 500.
    try { out[k] = decodeURIComponent(part.slice(i + 1).trim()) } catch { out[k] = part.slice(i + 1).trim() }
  }
  return out
}
