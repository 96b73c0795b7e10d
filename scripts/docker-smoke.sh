#!/usr/bin/env bash
# What the Docker image runs, tested without Docker: copy the files the Dockerfile copies into a
# clean folder, `npm ci --omit=dev` there, start `cascade serve` and a bot on the mock puppet,
# check /healthz, /readyz and /metrics, publish through the API, then SIGTERM both and check
# that each exits 0 within 10 s. Not part of `npm test` (it reinstalls node_modules).
#
#   scripts/docker-smoke.sh            (REDIS_URL defaults to redis://127.0.0.1:6379; KEEP=1 keeps the folder)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export CASCADE_NS="smoke-$$"
export CASCADE_API_TOKEN="smoke-token-$$-0123456789abcdef0123456789abcdef"
export LOG_LEVEL=info
SERVE_PORT="${SERVE_PORT:-18480}"
BOT_PORT="${BOT_PORT:-18481}"
APP="$(mktemp -d /tmp/cascade-smoke.XXXXXX)"
pids=()

step() { printf '\n== %s\n' "$*"; }
fail() { echo "SMOKE FAILED: $*"; exit 1; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  (cd "$APP" && node -e "
    const { Redis } = require('ioredis'); const r = new Redis(process.env.REDIS_URL);
    (async () => { let c = '0', n = 0; do { const [next, keys] = await r.scan(c, 'MATCH', '{' + process.env.CASCADE_NS + '}:*', 'COUNT', 1000); c = next; if (keys.length) n += await r.unlink(...keys) } while (c !== '0'); console.log('removed ' + n + ' keys'); r.disconnect() })()" 2>/dev/null) || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $APP"; else rm -rf "$APP"; fi
}
trap cleanup EXIT

step "copy what the Dockerfile copies into $APP"
cd "$ROOT"
cp package.json package-lock.json tsconfig.json "$APP"/
cp -r bin src config bots "$APP"/
mkdir -p "$APP/.sessions"

step "npm ci --omit=dev"
cd "$APP"
t0=$(date +%s)
npm ci --omit=dev --ignore-scripts --no-audit --no-fund >npm.log 2>&1 || { tail -20 npm.log; fail "npm ci"; }
echo "installed in $(( $(date +%s) - t0 )) s, node_modules $(du -sm node_modules | cut -f1) MB"
[ ! -d node_modules/vitest ] || fail "dev dependencies were installed"

step "start: cascade serve (port $SERVE_PORT) and cascade run bots/bot-north.yaml (mock puppet, port $BOT_PORT)"
PORT=$SERVE_PORT node bin/cascade.mjs serve 2>serve.log &
serve_pid=$!; pids+=("$serve_pid")
PORT=$BOT_PORT node bin/cascade.mjs run bots/bot-north.yaml >bot.out 2>bot.log &
bot_pid=$!; pids+=("$bot_pid")

api() { curl -s -H "Authorization: Bearer $CASCADE_API_TOKEN" "$@"; }
for _ in $(seq 150); do
  r=$(curl -s "http://127.0.0.1:$SERVE_PORT/status" || true)
  [ "$(jq -r '.bots[]? | select(.id=="bot-north") | .loggedIn' <<<"$r" 2>/dev/null)" = true ] && break
  sleep 0.2
done
echo "$r" | jq -c '{ready, redis, accountsReady, bots: [.bots[] | {id, loggedIn, backlog}]}'
[ "$(jq -r '.bots[] | select(.id=="bot-north") | .loggedIn' <<<"$r")" = true ] || { tail -5 serve.log bot.log; fail "bot-north not logged in per /status"; }
[ "$(jq -r '.accountsReady' <<<"$r")" = false ] || fail "/status: accountsReady should be false (bot-district and bot-south are not running)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/readyz")
echo "/readyz HTTP $code (200 expected: serve can serve, whatever the accounts)"
[ "$code" = 200 ] || fail "/readyz should be 200 while Redis answers"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/healthz")" = 200 ] || fail "serve /healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BOT_PORT/healthz")" = 200 ] || fail "bot /healthz"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SERVE_PORT/api/announcements")" = 401 ] || fail "API without token"

step "publish through the API; the bot posts it"
res=$(api -X POST -H 'content-type: application/json' -d '{"node":"chaotian","text":"冒烟测试：镜像里的命令","severity":"normal"}' "http://127.0.0.1:$SERVE_PORT/api/announcements")
echo "$res"
ann=$(jq -r .code <<<"$res")
[ -n "$ann" ] && [ "$ann" != null ] || fail "publish"
# Sends are counted by the process that sent them: the bot's own /metrics.
sent() { grep '^cascade_sends_total{' <<<"$1" | grep 'bot="bot-north"' | grep 'role="bot"' | grep 'outcome="sent"' | grep -qE ' [1-9][0-9]*$'; }
for _ in $(seq 100); do
  m=$(curl -s "http://127.0.0.1:$BOT_PORT/metrics")
  sent "$m" && break
  sleep 0.2
done
grep -E '^cascade_(sends_total|publish_to_group_seconds_count|account_)' <<<"$m" || true
sent "$m" || fail "bot /metrics: no send counted"
s=$(curl -s "http://127.0.0.1:$SERVE_PORT/metrics")
grep -E '^cascade_(bot_logged_in|bot_backlog|district_exporter|redis_up)' <<<"$s" || true
grep -qE '^cascade_bot_logged_in\{bot="bot-north"\} 1' <<<"$s" || fail "serve /metrics: bot-north not logged in"
api "http://127.0.0.1:$SERVE_PORT/api/announcements/$ann" | jq -c '{code: .announcement.code, groups: .root.groups}'

step "SIGTERM both; each must exit 0 within 10 s"
stop() {
  local pid=$1 name=$2 start end status
  start=$(date +%s%N)
  kill -TERM "$pid"
  status=0; wait "$pid" || status=$?
  end=$(date +%s%N)
  local ms=$(( (end - start) / 1000000 ))
  echo "$name: exit $status after $ms ms"
  [ "$status" = 0 ] || fail "$name exit code $status"
  [ "$ms" -lt 10000 ] || fail "$name took $ms ms to stop"
}
stop "$bot_pid" "cascade run"
stop "$serve_pid" "cascade serve"
pids=()
grep -c '"event":"process.stopped"' serve.log bot.log || fail "no process.stopped log line"
if grep -q '冒烟测试' serve.log bot.log; then fail "a message body was logged at info level"; fi
echo "SMOKE OK"
