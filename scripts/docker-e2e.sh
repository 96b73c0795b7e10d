#!/usr/bin/env bash
# The Docker path end to end, as an operator runs it: build the image, `up` the compose file
# (Redis, serve, one container per bots/*.yaml — the mock puppet in this repo), wait until every
# service is healthy, publish through the API, wait until the status tree shows it sent, `stop`,
# check that every container exited 0, then `down -v`. Prints the figures at the end.
# Not part of `npm test` or .ci/run (needs a Docker engine; ../shared/docker/stand-in-images.sh
# provides one where no registry is reachable).
#
#   scripts/docker-e2e.sh        NO_CACHE=1 builds from scratch (a cold build's time); KEEP=1 leaves the stack up; CASCADE_PORT (default 18080) is the
#                                host port of serve; PROJECT_NAME (default cascade-e2e) the compose project
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CASCADE_PORT="${CASCADE_PORT:-18080}"
PROJECT_NAME="${PROJECT_NAME:-cascade-e2e}"
API="http://127.0.0.1:$CASCADE_PORT"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "DOCKER E2E FAILED: $*"; exit 1; }

docker info >/dev/null 2>&1 || fail "no Docker engine answers (docker info): start one, e.g. bash ../shared/docker/stand-in-images.sh"
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
"${COMPOSE[@]}" version >/dev/null 2>&1 || fail "neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed"
dc() { "${COMPOSE[@]}" -p "$PROJECT_NAME" "$@"; }
for t in curl jq; do command -v "$t" >/dev/null || fail "$t is needed"; done

# .env: the operator's if there is one, else one with a fresh token and password (kept for later runs).
if [ ! -f .env ]; then
  sed -e "s/^CASCADE_API_TOKEN=.*/CASCADE_API_TOKEN=$(openssl rand -hex 32)/" \
      -e "s/^REDIS_PASSWORD=.*/REDIS_PASSWORD=$(openssl rand -hex 24)/" .env.example > .env
  echo "wrote .env (random CASCADE_API_TOKEN and REDIS_PASSWORD)"
fi
TOKEN=$(sed -n 's/^CASCADE_API_TOKEN=//p' .env | tail -n1)
[ "${#TOKEN}" -ge 32 ] || fail ".env: CASCADE_API_TOKEN must be at least 32 characters (serve refuses it otherwise)"

cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then dc down -v --remove-orphans >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step "build: docker build --network host -t cascade:latest ."
t=$(now)
docker build --network host ${NO_CACHE:+--no-cache} -t cascade:latest . > /tmp/cascade-e2e-build.log 2>&1 || { tail -30 /tmp/cascade-e2e-build.log; fail "docker build (log: /tmp/cascade-e2e-build.log)"; }
build_s=$(secs "$t" "$(now)")
size_mb=$(docker image inspect cascade:latest --format '{{.Size}}' | awk '{ printf "%.0f", $1 / 1e6 }')
docker image ls cascade:latest
grep -E '^slim node_modules' /tmp/cascade-e2e-build.log || true

step "up -d (${COMPOSE[*]}, project $PROJECT_NAME, serve on 127.0.0.1:$CASCADE_PORT)"
dc down -v --remove-orphans >/dev/null 2>&1 || true
t=$(now)
dc up -d --no-build
services=$(dc ps --services | sort)
n=$(wc -l <<<"$services")
redis_c=$(dc ps -q redis)
healthy=0
redis_healthy_s=
for _ in $(seq 600); do
  healthy=0
  for c in $(dc ps -q); do
    if [ "$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")" = healthy ]; then
      healthy=$((healthy + 1))
      [ -n "$redis_healthy_s" ] || [ "$c" != "$redis_c" ] || redis_healthy_s=$(secs "$t" "$(now)")
    fi
  done
  [ "$healthy" = "$n" ] && break
  sleep 0.2
done
healthy_s=$(secs "$t" "$(now)")
for c in $(dc ps -q); do docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c"; done
[ "$healthy" = "$n" ] || { dc logs --tail 20; fail "$healthy of $n services healthy after 120 s"; }

step "readiness: every account logged in (mock puppet)"
for _ in $(seq 150); do
  code=$(curl -s -o /tmp/cascade-e2e-ready.json -w '%{http_code}' "$API/readyz" || true)
  [ "$code" = 200 ] && break
  sleep 0.2
done
jq -c '{ready, redis, bots: [.bots[] | {id, loggedIn}]}' /tmp/cascade-e2e-ready.json
[ "$code" = 200 ] || fail "/readyz answered $code"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/api/announcements")" = 401 ] || fail "the API answers without a token"

step "publish through the API, wait until sent"
t=$(now)
res=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"node":"chaotian","text":"Docker 端到端测试：本通知经 API 发布","severity":"urgent","category":"通知"}' "$API/api/announcements")
echo "$res"
ann=$(jq -r .code <<<"$res")
[ -n "$ann" ] && [ "$ann" != null ] || fail "publish"
sent=0
for _ in $(seq 300); do
  s=$(curl -s -H "Authorization: Bearer $TOKEN" "$API/api/announcements/$ann")
  sent=$(jq -r '.root.groups.sent // 0' <<<"$s" 2>/dev/null || echo 0)
  [ "$sent" -ge 1 ] 2>/dev/null && break
  sleep 0.1
done
sent_s=$(secs "$t" "$(now)")
jq -c '{code: .announcement.code, root: .root.node, groups: .root.groups}' <<<"$s" 2>/dev/null || echo "$s" | head -c 400
[ "$sent" -ge 1 ] 2>/dev/null || fail "$ann not sent to any group within 30 s"
echo "-- cascade status $ann (in the serve container):"
dc exec -T serve node bin/cascade.mjs status "$ann" | head -12 || fail "cascade status in the container"

if [ "${KEEP:-0}" = 1 ]; then
  echo "KEEP=1: stack left up (${COMPOSE[*]} -p $PROJECT_NAME down -v to remove)"
  trap - EXIT
  exit 0
fi

step "stop"
t=$(now)
dc stop
stop_s=$(secs "$t" "$(now)")
bad=0
for c in $(dc ps -a -q); do
  line=$(docker inspect --format '{{.Name}} exit={{.State.ExitCode}}' "$c"); echo "$line"
  [[ "$line" == *" exit=0" ]] || bad=$((bad + 1))
done
[ "$bad" = 0 ] || fail "$bad containers did not exit 0"

step "figures"
printf '%-28s %s\n' \
  "compose" "${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo ?)), engine $(docker version --format '{{.Server.Version}}')" \
  "build" "${build_s} s$([ -n "${NO_CACHE:-}" ] && echo ' (no cache)' || echo ' (layer cache allowed)')" \
  "image cascade:latest" "${size_mb} MB" \
  "up -> all $n healthy" "${healthy_s} s" \
  "up -> redis healthy" "${redis_healthy_s} s" \
  "publish -> sent" "${sent_s} s  ($ann, ${sent} group(s) sent at the root)" \
  "stop (all exit 0)" "${stop_s} s"
echo "DOCKER E2E OK"
