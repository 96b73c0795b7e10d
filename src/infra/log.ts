/**
 * Structured logs: pino, one JSON line per event on stderr, with `event` naming what happened.
 * No message bodies or secrets above debug level. Level from LOG_LEVEL
 * (debug | info | warn | error | silent), default info.
 */
import { pino, type Logger as Pino } from 'pino'

export type Level = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void
  info(event: string, fields?: Record<string, unknown>): void
  warn(event: string, fields?: Record<string, unknown>): void
  error(event: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

/** Our call shape `log.info('event', { fields })` on top of pino's `info({ fields }, msg)`. */
function wrap(p: Pino): Logger {
  const at = (lvl: Level) => (event: string, fields: Record<string, unknown> = {}) => {
    if (!p.isLevelEnabled(lvl)) return
    const { err, ...rest } = fields
    p[lvl]({ event, ...rest, ...(err instanceof Error ? { err: lvl === 'debug' ? err : errorLine(err) } : err !== undefined ? { err } : {}) })
  }
  // A child repeats no key its parent already carries with the same value (a bot process's logger
  // has `bot`, and the account's runtime asks for it again: one "bot" per line, issue 26 item 6).
  const child = (more: Record<string, unknown>) => {
    const have = p.bindings()
    const fresh = Object.fromEntries(Object.entries(more).filter(([k, v]) => have[k] !== v))
    return Object.keys(fresh).length ? wrap(p.child(fresh)) : wrap(p)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child }
}

/**
 * An error as logged above debug: its type, message, code and stack, nothing else. Libraries hang
 * what they were doing on their errors (ioredis the command and its arguments — an edit's text,
 * a phone number; axios the request with its cookies): those stay out of the logs.
 */
export function errorLine(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code
  return { type: err.name, message: err.message.slice(0, 500), ...(code !== undefined ? { code } : {}), stack: err.stack }
}

export function createLogger(base: Record<string, unknown> = {}, level = (process.env.LOG_LEVEL || 'info') as Level | 'silent'): Logger {
  const p = pino({ level, base: { pid: process.pid, ...base }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: label => ({ level: label }) } }, pino.destination(2))
  return wrap(p)
}

export const silentLogger: Logger = createLogger({}, 'silent')
