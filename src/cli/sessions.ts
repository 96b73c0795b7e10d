/**
 * `cascade sessions list | end <REF> | end --all`: the command centre's sign-in sessions in Redis
 * (issue 23, item 5). A session is named by REF, the first characters of the hash Redis keeps of
 * its id — never by the id, which only the browser's cookie holds. With CASCADE_API_TOKEN set, the
 * list says which sessions that token's `serve` takes; those of an older token are refused by
 * `serve` and removed when it starts.
 */
import { UsageError, parseOptions } from './args.ts'

export async function sessionsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'list' && sub !== 'end') throw new UsageError(sub === undefined ? 'needs a subcommand: list or end' : `unknown subcommand "${sub}": list or end`)
  const { values, positionals } = parseOptions(rest, { all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } })
  if (sub === 'list' && (positionals.length || values.all)) throw new UsageError('cascade sessions list takes no arguments but --json')
  if (sub === 'end' && (values.all ? positionals.length > 0 : positionals.length !== 1)) throw new UsageError('cascade sessions end needs one session REF (from cascade sessions list) or --all')
  const [{ redisUrlFromEnv, connectRedis }, { requireRedis }, { Store }, { Sessions }, { dateAndClock }] = await Promise.all([
    import('../infra/redis.ts'), import('../infra/redis-reach.ts'), import('../store/store.ts'), import('../web/session.ts'), import('../domain/status.ts'),
  ])
  const url = redisUrlFromEnv()
  await requireRedis(url)
  const redis = connectRedis(url)
  try {
    const sessions = new Sessions(new Store(redis, process.env.CASCADE_NS ?? 'cascade'), undefined, process.env.CASCADE_API_TOKEN || undefined)
    if (sub === 'end') {
      const ref = values.all ? undefined : String(positionals[0])
      const ended = await sessions.end(ref)
      if (ref !== undefined && ended === 0) {
        console.error(`no session ${ref} (cascade sessions list shows them)`)
        return 1
      }
      console.error(`Ended ${ended} session(s): their pages go to sign-in at their next request.`)
      return 0
    }
    const list = await sessions.list()
    const token = process.env.CASCADE_API_TOKEN ? (s: { currentToken: boolean }) => s.currentToken ? 'current token' : 'older token (refused)' : () => 'token not checked'
    if (values.json) {
      for (const s of list) console.log(JSON.stringify({ ...s, createdAt: new Date(s.createdAt).toISOString(), expiresAt: new Date(s.expiresAt).toISOString() }))
      return 0
    }
    for (const s of list) console.log(`${s.ref}  ${s.person ?? 'ops (token)'}  signed in ${dateAndClock(s.createdAt)}  until ${dateAndClock(s.expiresAt)}  from ${s.from ?? '-'}  ${token(s)}`)
    console.error(list.length ? `${list.length} session(s) (Beijing time). End one: cascade sessions end <REF>; all: cascade sessions end --all` : 'No command centre sessions.')
    return 0
  } finally {
    redis.disconnect()
  }
}
