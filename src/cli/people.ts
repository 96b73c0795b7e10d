/**
 * `cascade invites list | revoke <CODE>` and `cascade people list | unbind <ID>` (issue 24): the
 * invites not yet used, who is bound to WeChat and on which accounts, and taking that back. The
 * command centre's 人员 page (ops only) shows and does the same (src/web/people-routes.ts).
 */
import { UsageError, parseOptions } from './args.ts'

const OPTIONS = { config: { type: 'string', default: 'config' }, bots: { type: 'string', default: 'bots' }, json: { type: 'boolean', default: false } } as const

async function withAdmin<T>(values: { config?: string | boolean; bots?: string | boolean }, fn: (admin: import('../store/people-admin.ts').PeopleAdmin, cfg: import('../config/types.ts').CascadeConfig) => Promise<T>): Promise<T> {
  const [{ loadConfig }, { redisUrlFromEnv, connectRedis }, { requireRedis }, { Store }, { PeopleAdmin }] = await Promise.all([
    import('../config/load.ts'), import('../infra/redis.ts'), import('../infra/redis-reach.ts'), import('../store/store.ts'), import('../store/people-admin.ts'),
  ])
  const cfg = await loadConfig({ configDir: String(values.config ?? 'config'), botsDir: String(values.bots ?? 'bots') })
  const url = redisUrlFromEnv()
  await requireRedis(url)
  const redis = connectRedis(url)
  try {
    const store = new Store(redis, process.env.CASCADE_NS ?? 'cascade')
    return await fn(new PeopleAdmin(redis, store.keys), cfg)
  } finally {
    redis.disconnect()
  }
}

export async function invitesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'list' && sub !== 'revoke') throw new UsageError(sub === undefined ? 'needs a subcommand: list or revoke' : `unknown subcommand "${sub}": list or revoke`)
  const { values, positionals } = parseOptions(rest, OPTIONS)
  if (sub === 'list' && positionals.length) throw new UsageError('cascade invites list takes no arguments')
  if (sub === 'revoke' && positionals.length !== 1) throw new UsageError('cascade invites revoke needs one invite CODE (from cascade invites list)')
  return withAdmin(values, async (admin, cfg) => {
    if (sub === 'revoke') {
      const code = String(positionals[0])
      if (!await admin.revokeInvite(code)) { console.error(`no unused invite ${code} (cascade invites list shows them)`); return 1 }
      console.error(`Invite ${code} revoked: it binds nobody now.`)
      return 0
    }
    const list = await admin.invites()
    for (const i of list) console.log(values.json ? JSON.stringify(i) : `${i.code}  ${i.person}  ${cfg.people.get(i.person)?.name ?? '(not in people.yaml)'}  expires in ${Math.ceil(i.expiresInSeconds / 60)} min`)
    if (!values.json) console.error(list.length ? `${list.length} unused invite(s). Revoke one: cascade invites revoke <CODE>` : 'No unused invites.')
    return 0
  })
}

export async function peopleCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'list' && sub !== 'unbind') throw new UsageError(sub === undefined ? 'needs a subcommand: list or unbind' : `unknown subcommand "${sub}": list or unbind`)
  const { values, positionals } = parseOptions(rest, OPTIONS)
  if (sub === 'list' && positionals.length) throw new UsageError('cascade people list takes no arguments')
  if (sub === 'unbind' && positionals.length !== 1) throw new UsageError('cascade people unbind needs one person ID (from people.yaml)')
  return withAdmin(values, async (admin, cfg) => {
    if (sub === 'unbind') {
      const id = String(positionals[0])
      if (!cfg.people.has(id)) { console.error(`unknown person "${id}" (not in ${cfg.configDir}/people.yaml)`); return 1 }
      const bots = await admin.unbind(id)
      console.error(bots.length ? `Unbound ${id} from ${bots.join(', ')}: they need a new invite; their command centre sessions end.` : `${id} was not bound.`)
      return 0
    }
    const bound = await admin.bound(cfg.people.keys())
    for (const p of cfg.people.values()) {
      const bots = Object.keys(bound.get(p.id) ?? {})
      console.log(values.json ? JSON.stringify({ id: p.id, name: p.name, bound: bots }) : `${p.id}  ${p.name}  ${bots.length ? `bound on ${bots.join(', ')}` : 'not bound'}`)
    }
    if (!values.json) console.error(`${bound.size} of ${cfg.people.size} people bound. Unbind: cascade people unbind <ID>`)
    return 0
  })
}
