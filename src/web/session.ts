/**
 * Sign-in sessions of the command centre, kept in Redis (so any `cascade serve` process of the
 * namespace knows them) under `{ns}:cc:session:<sha256 of the id>` with a TTL: the cookie holds
 * only the random id, Redis only its hash. Each session carries its own CSRF token and the
 * fingerprint of the API token it was signed in with: a `serve` started with another token
 * (rotated) takes none of them (issue 23, item 5). `cascade sessions` lists and ends them by a
 * short reference (the start of the hash), never by the id itself.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { scanKeys, type Store } from '../store/store.ts'

/** A session lasts this long after sign-in (CASCADE_SESSION_HOURS overrides it in `serve`). */
export const DEFAULT_SESSION_SECONDS = 8 * 3600

export interface Session {
  csrf: string
  /** The person signed in with a one-time code (people.yaml id); absent for the ops token. */
  person?: string
  /** tokenFingerprint() of the API token at sign-in; a session of another token is not taken. */
  token?: string
  /** The address it signed in from (as `trust proxy` sees it), for `cascade sessions list`. */
  from?: string
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

/**
 * What a session keeps of the API token: 16 hex digits of its SHA-256 — enough to tell a rotated
 * token, too little to test guesses against (the token itself is 32+ random characters).
 */
export function tokenFingerprint(token: string): string { return hash(`cascade-session:${token}`).slice(0, 16) }

/** A session as `cascade sessions list` shows it: a short reference, never its id. */
export interface SessionInfo { ref: string; createdAt: number; expiresAt: number; from?: string; currentToken: boolean; person?: string }

/** Whether a person's session still holds: listed in people.yaml with a role, still bound to WeChat. */
export type PersonCheck = (person: string) => Promise<boolean>

/** Characters of the hash that name a session in `cascade sessions` (48 bits). */
const REF_CHARS = 12

export class Sessions {
  /** `token`: the API token sessions are signed in with; without it every stored session is taken (tests). */
  constructor(private readonly store: Store, readonly ttlSeconds = DEFAULT_SESSION_SECONDS, token?: string, private readonly personHolds?: PersonCheck) {
    this.fingerprint = token === undefined ? undefined : tokenFingerprint(token)
  }
  private readonly fingerprint: string | undefined

  private get prefix(): string { return `${this.store.keys.base}cc:session:` }
  private key(id: string): string { return `${this.prefix}${hash(id)}` }

  /** A new session; returns the id for the cookie. */
  async create(now = Date.now(), from?: string, person?: string): Promise<{ id: string; session: Session }> {
    const id = randomToken()
    const session: Session = { csrf: randomToken(), person, token: this.fingerprint, from, createdAt: now, expiresAt: now + this.ttlSeconds * 1000 }
    await this.store.redis.set(this.key(id), JSON.stringify(session), 'EX', this.ttlSeconds)
    return { id, session }
  }

  /**
   * The session of a cookie's id; undefined when unknown, expired, ended or of another API token,
   * or when its person was unbound or is no longer in people.yaml (the session is ended then).
   */
  async get(id: string | undefined): Promise<Session | undefined> {
    if (!id || id.length > 100) return undefined
    const raw = await this.store.redis.get(this.key(id))
    if (!raw) return undefined
    const s = JSON.parse(raw) as Session
    if (this.fingerprint !== undefined && s.token !== this.fingerprint) return undefined
    if (s.person !== undefined && this.personHolds && !await this.personHolds(s.person)) {
      await this.destroy(id)
      return undefined
    }
    return s
  }

  /** Every stored session, oldest first; `currentToken` tells those this token's serve takes. */
  async list(): Promise<SessionInfo[]> {
    const out: SessionInfo[] = []
    for (const [key, raw] of await this.all()) {
      const s = JSON.parse(raw) as Session
      out.push({ ref: key.slice(this.prefix.length, this.prefix.length + REF_CHARS), createdAt: s.createdAt, expiresAt: s.expiresAt, from: s.from, currentToken: this.fingerprint !== undefined && s.token === this.fingerprint, person: s.person })
    }
    return out.sort((a, b) => a.createdAt - b.createdAt)
  }

  /**
   * Ends the sessions whose reference starts with `ref` (at least 6 characters, one session only),
   * or with `ref` undefined every session; returns how many ended. Open pages go to sign-in.
   */
  async end(ref?: string): Promise<number> {
    const keys = [...(await this.all()).keys()]
    const chosen = ref === undefined ? keys : keys.filter(k => k.slice(this.prefix.length).startsWith(ref.toLowerCase()))
    if (ref !== undefined && (ref.length < 6 || chosen.length > 1)) throw new Error(ref.length < 6 ? 'give at least 6 characters of the session reference' : `${chosen.length} sessions start with "${ref}": give more characters`)
    return chosen.length ? this.store.redis.del(...chosen) : 0
  }

  /** Ends the sessions signed in with another API token (a `serve` started after rotating it). */
  async endOtherTokens(): Promise<number> {
    const stale = [...(await this.all())].filter(([, raw]) => (JSON.parse(raw) as Session).token !== this.fingerprint).map(([k]) => k)
    return this.fingerprint !== undefined && stale.length ? this.store.redis.del(...stale) : 0
  }

  /** key → stored JSON of every session of the namespace. */
  private async all(): Promise<Map<string, string>> {
    const keys = await scanKeys(this.store.redis, `${this.prefix}*`)
    const values = keys.length ? await this.store.redis.mget(...keys) : []
    return new Map(keys.flatMap((k, i) => values[i] ? [[k, values[i]!] as [string, string]] : []))
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
