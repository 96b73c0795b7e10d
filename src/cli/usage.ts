/**
 * The usage text of `cascade`, apart from the commands so that `cascade help` loads nothing else.
 */

/** The lines of `cascade cases` and `cascade case`. */
export const CASES_USAGE = `  cascade cases [--open] [--node <id>] [--json]  cases (举报/求助) with their age and state
  cascade case <CODE> [--json]              one case with its history`

export const USAGE = `cascade — relay a district's notices down its WeChat groups

usage:
  cascade demo [--json] [--seed N] [--webwx [--chaos RATE]]
                                            the whole demo district, simulated on the mock puppet;
                                            --webwx: over a simulated web-WeChat server with the
                                            real client (wechaty-puppet-wechat4u), slower;
                                            --chaos 0.05: that share of its calls meets a random
                                            server fault (seeded by --seed)
  cascade validate [--config DIR] [--bots DIR]
  cascade run bots/<id>.yaml [--config DIR] [--timers]
                                            one WeChat account (scan the QR code to log in);
                                            --timers also runs reminders/deadlines here
  cascade serve [--config DIR] [--bots DIR] timers, HTTP API, /healthz /readyz /metrics, queue
                                            dashboard (PORT, default 8080; CASCADE_API_TOKEN)
  cascade invite --person <id> [--ttl HOURS] a one-time code that binds a person to their role
  cascade publish --node <id> --text <text> [--severity urgent|normal|info] [--category C] [--no-ack]
                  [--exercise] [--at "2026-12-01 08:00"|"20:30"]   (a drill; publish later)
  cascade status <CODE> [--json]            the relay tree of one announcement
  cascade coverage <CODE> [--node id] [--json]  households/grids covered (docs/COVERAGE.md)
  cascade acks export <CODE> --format csv [--out FILE]   one row per household
  cascade acks deadline <CODE> --minutes N  when grid workers get the households not reached
${CASES_USAGE}
  cascade update <CODE> --text <text>       a correction that follows the original's path
  cascade cancel <CODE> --reason <text>     retract: withdraw what is pending, correct every group
  cascade audit <CODE> [--json]             every state change of an announcement, in order
  cascade rumor match|eval|list …           the rumor matcher (see docs/RUMORS.md)
  cascade sessions list [--json]            command centre sign-ins (a short REF each, never the id)
  cascade sessions end <REF> | --all        end one sign-in, or all (their pages go to sign-in)

environment:
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
  return out.length ? `usage:\n${out.join('\n')}` : undefined
}
