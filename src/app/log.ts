/**
 * Structured logs: one JSON line per event on stderr. No message bodies above debug level.
 * Level from LOG_LEVEL (debug | info | warn | error | silent), default info.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void
  info(event: string, fields?: Record<string, unknown>): void
  warn(event: string, fields?: Record<string, unknown>): void
  error(event: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

export function createLogger(base: Record<string, unknown> = {}, level = (process.env.LOG_LEVEL ?? 'info') as Level | 'silent'): Logger {
  const min = ORDER[level] ?? ORDER.info
  const write = (lvl: Level) => (event: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[lvl] < min) return
    const err = fields.err instanceof Error ? { err: fields.err.message, stack: fields.err.stack } : {}
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, event, ...base, ...fields, ...err }) + '\n')
  }
  return {
    debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'),
    child: (more) => createLogger({ ...base, ...more }, level),
  }
}

export const silentLogger: Logger = createLogger({}, 'silent')
