/**
 * The usage text of `cascade`, apart from the commands so that `cascade help` loads nothing else.
 */

/** The lines of `cascade cases` and `cascade case`. */
export const CASES_USAGE = `  cascade cases [--open] [--node <id>] [--json]  cases (举报/求助) with their age and state
  cascade case <CODE> [--json]              one case with its history`

export const USAGE = `cascade — relay a district's notices down its WeChat groups

usage:
  cascade demo [--json] [--seed N] [--webwx [--chaos RATE]] [--config DIR] [--bots DIR]
                                            the whole demo district, simulated on the mock puppet;
                                            --webwx: over a simulated web-WeChat server with the
                                            real client (wechaty-puppet-wechat4u), slower;
                                            --chaos 0.05: that share of its calls meets a random
                                            server fault (seeded by --seed)
  cascade validate [--config DIR] [--bots DIR] [--strict]
                                            --strict: exit 1 also on a file not read or a feature off
  cascade check [--config DIR] [--bots DIR]  before/after an upgrade: what must change (config,
                                            environment, Redis settings, data); exit 1 if anything must
  cascade run bots/<id>.yaml | <id> [--config DIR] [--bots DIR] [--timers]
                                            one WeChat account (scan the QR code to log in);
                                            --timers also runs reminders/deadlines here
  cascade serve [--config DIR] [--bots DIR] timers, HTTP API, /healthz /readyz /status /metrics, queue
                                            dashboard (PORT, default 8080; CASCADE_API_TOKEN)
  cascade invite --person <id> [--ttl HOURS] a one-time code that binds a person to their role
  cascade publish --node <id> --text <text> [--severity urgent|normal|info] [--category C] [--no-ack]
                  [--exercise] [--at "2026-12-01 08:00"|"20:30"]   (a drill; publish later)
  cascade status <CODE> [--json]            the relay tree of one announcement
  cascade coverage <CODE> [--node id] [--json]  households/grids covered (docs/COVERAGE.md)
  cascade acks export <CODE> --format csv [--out FILE] [--node id]   one row per household
  cascade acks deadline <CODE> --minutes N  when grid workers get the households not reached
${CASES_USAGE}
  cascade update <CODE> --text <text>       a correction that follows the original's path
  cascade cancel <CODE> --reason <text>     retract: withdraw what is pending, correct every group
  cascade audit <CODE> [--json]             every state change of an announcement, in order
  cascade rumor match ["消息" …] [--explain] [--json]   what the bot would do with a message (in
                                            Chinese: decision, rumor, the rebuttal it would send;
                                            {"text": …} JSON lines on stdin for scripts)
  cascade rumor suggestions [--all] [--json]  what waits for a curator (S codes)
  cascade rumor decide <S…> 是|忽略|辟谣 [辟谣内容] --as <person>   the chat command, as that curator
  cascade rumor review [--json] | undo <L…|R…> --as <person>   who taught the library what; take it back
  cascade rumor export [--out FILE] | list [--config DIR] | eval --library F --queries F
                                            the library grown by curators as YAML; its entries;
                                            figures on a labelled set (docs/RUMORS.md)
  cascade series list [--json]              recurring bulletins: next run, last runs, approved/paused where
  cascade series run <ID>                   make a run of a series now (docs/SERIES.md)
  cascade series pause|resume <ID> [--node <id>]   for a node's subtree (default: the whole series)
  cascade series figures <ID> 确诊=0 …       the figures of the next run of a template series
  cascade inbox list [--all] [--json]       the district's inbox: items waiting for a publisher
  cascade province publish --text <text> [--severity S] [--category C] [--no-ack] [--exercise] [--expires H]
                                            at the province office (province.yaml): one notice to every
                                            district's root, approved there as its own tier
  cascade province status [<CODE>] [--json] | resend <CODE> | cancel <CODE> --reason <text>
                                            each district's state; hand again; retract everywhere
  cascade sessions list [--json]            command centre sign-ins (a short REF each, never the id)
  cascade sessions end <REF> | --all        end one sign-in, or all (their pages go to sign-in)
  cascade invites list | revoke <CODE>      invites not used yet; revoke one
  cascade people list | unbind <ID>         who is bound to WeChat (on which accounts); unbind one

Every command that reads the configuration takes --config DIR and --bots DIR.

environment:
  CASCADE_CONFIG, CASCADE_BOTS  the configuration's folders when --config / --bots are not given
              (default config and bots), so a shell or a container sets them once
  REDIS_URL   default redis://127.0.0.1:6379
  REDIS_SENTINELS=host:port,… + REDIS_MASTER=<name> (default cascade): Redis Sentinel instead
  REDIS_CLUSTER=host:port,…   Redis Cluster instead (REDIS_URL still gives the password)
  CASCADE_NS  key namespace in Redis (default "cascade"); all keys are under {<ns>}:
  LOG_LEVEL   debug | info | warn | error | silent: JSON logs of serve and run (default info);
              one-shot commands print sentences, and JSON logs too only when it is set`


/** The commands `cascade help <command>` knows, in the order of USAGE. */
export function commandNames(): string[] {
  return [...new Set([...USAGE.matchAll(/^ {2}cascade ([a-z]+)/gm)].map((m) => m[1]))]
}

/** The lines of USAGE for one command (with their continuation lines), or undefined. */
export function usageOf(command: string): string | undefined {
  const lines = USAGE.split('\n')
  const out: string[] = []
  let inside = false
  for (const line of lines) {
    if (/^ {2}cascade /.test(line)) inside = line.startsWith(`  cascade ${command} `) || line === `  cascade ${command}`
    else if (!/^ {3,}\S/.test(line)) inside = false
    if (inside) out.push(line)
  }
  if (!out.length) return undefined
  const dirs = command === 'sessions' || command === 'rumor' ? '' : '\n(--config DIR / --bots DIR, else $CASCADE_CONFIG / $CASCADE_BOTS, else config and bots)'
  return `usage:\n${out.join('\n')}${dirs}`
}
