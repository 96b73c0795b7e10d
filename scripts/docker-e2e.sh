#!/usr/bin/env bash
# The Docker path end to end, as an operator runs it: build the image, `up` the compose file
# (Redis, serve, one container per bots/*.yaml — the mock puppet in this repo), wait until every
# service is healthy, publish through the API, wait until the status tree shows it sent, `stop`,
# check that every container exited 0, then `down -v`. Prints the figures at the end.
# Not part of `npm test` or .ci/run (needs a Docker engine; ../shared/docker/stand-in-images.sh
# provides one where no registry is reachable).
#
#   scripts/docker-e2e.sh        NO_CACHE=1 builds from scratch (a cold build's time); KEEP=1 leaves the stack up; CASCADE_PORT (default 18080) is the
#                                host port of serve; PROJECT_NAME (default cascade-e2e) the compose project; MONITORING=0 leaves out
#                                the monitoring profile (Prometheus, PROMETHEUS_PORT default 19090), which is otherwise checked to
#                                scrape every process
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CASCADE_PORT="${CASCADE_PORT:-18080}"
PROJECT_NAME="${PROJECT_NAME:-cascade-e2e}"
API="http://127.0.0.1:$CASCADE_PORT"
MONITORING="${MONITORING:-1}"
# The image's tag (docker-compose.yml reads CASCADE_IMAGE): another tag keeps a shared engine's cascade:latest.
export CASCADE_IMAGE="${CASCADE_IMAGE:-cascade:latest}"
export PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
PROM="http://127.0.0.1:$PROMETHEUS_PORT"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "DOCKER E2E FAILED: $*"; exit 1; }

docker info >/dev/null 2>&1 || fail "no Docker engine answers (docker info): start one, e.g. bash ../shared/docker/stand-in-images.sh"
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
"${COMPOSE[@]}" version >/dev/null 2>&1 || fail "neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed"
PROFILE=(); [ "$MONITORING" = 1 ] && PROFILE=(--profile monitoring)  # profiles: Compose v2, or v1 ≥ 1.28
dc() { "${COMPOSE[@]}" -p "$PROJECT_NAME" "${PROFILE[@]}" "$@"; }
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

step "build: docker build --network host -t $CASCADE_IMAGE ."
t=$(now)
docker build --network host ${NO_CACHE:+--no-cache} -t $CASCADE_IMAGE . > ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-build.log 2>&1 || { tail -30 ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-build.log; fail "docker build (log: ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-build.log)"; }
build_s=$(secs "$t" "$(now)")
size_mb=$(docker image inspect $CASCADE_IMAGE --format '{{.Size}}' | awk '{ printf "%.0f", $1 / 1e6 }')
docker image ls $CASCADE_IMAGE
grep -E '^slim node_modules' ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-build.log || true

if [ "$MONITORING" = 1 ]; then
  # The official image where it can be had; else a stand-in from Debian's prometheus package.
  export PROMETHEUS_IMAGE="${PROMETHEUS_IMAGE:-prom/prometheus:v2.53.0}"
  if ! docker image inspect "$PROMETHEUS_IMAGE" >/dev/null 2>&1 && ! timeout 30 docker pull -q "$PROMETHEUS_IMAGE" >/dev/null 2>&1; then
    step "no $PROMETHEUS_IMAGE (no registry): building a stand-in from Debian's prometheus (docker/prometheus-standin.Dockerfile)"
    export PROMETHEUS_IMAGE=cascade-prometheus-standin:local
    docker build -q --network host -t "$PROMETHEUS_IMAGE" -f docker/prometheus-standin.Dockerfile docker >/dev/null || fail "building the Prometheus stand-in"
  fi
fi

step "up -d (${COMPOSE[*]} ${PROFILE[*]}, project $PROJECT_NAME, serve on 127.0.0.1:$CASCADE_PORT)"
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
    h=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none {{.State.Status}}{{end}}' "$c")
    # A service without a healthcheck (prometheus) counts once it runs.
    if [ "$h" = healthy ] || [ "$h" = "none running" ]; then
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

step "readiness: serve ready (/readyz), every account logged in (/status; mock puppet)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/readyz")" = 200 ] || fail "/readyz is not 200"
for _ in $(seq 150); do
  curl -s -o ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-ready.json "$API/status" || true
  [ "$(jq -r '.accountsReady' ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-ready.json 2>/dev/null)" = true ] && break
  sleep 0.2
done
jq -c '{ready, redis, accountsReady, bots: [.bots[] | {id, loggedIn}]}' ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-ready.json
[ "$(jq -r '.accountsReady' ${TMPDIR:-/tmp}/cascade-e2e-${PROJECT_NAME}-ready.json)" = true ] || fail "not every account logged in per /status"
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

if [ "$MONITORING" = 1 ]; then
  step "monitoring: Prometheus scrapes every process (serve and each bot service)"
  t=$(now)
  want=$(dc ps --services | grep -Ev '^(redis|prometheus)$' | sort)
  for _ in $(seq 120); do
    targets=$(curl -s "$PROM/api/v1/targets?state=active" || true)
    up=$(jq -r '.data.activeTargets[]? | select(.health=="up") | .labels.instance | sub(":[0-9]+$"; "")' <<<"$targets" 2>/dev/null | sort)
    [ "$up" = "$want" ] && break
    sleep 1
  done
  scrape_s=$(secs "$t" "$(now)")
  jq -r '.data.activeTargets[]? | "\(.labels.instance) \(.health) \(.lastError)"' <<<"$targets"
  [ "$up" = "$want" ] || fail "Prometheus scrapes $(wc -w <<<"$up") of $(wc -w <<<"$want") processes (want: $(tr '\n' ' ' <<<"$want"))"
  q() { curl -s --get --data-urlencode "query=$1" "$PROM/api/v1/query" | jq -r '.data.result[0].value[1] // "none"'; }
  # The post sent above is counted by the bot process that sent it (seen at its next scrape, ≤ 15 s).
  for _ in $(seq 60); do [ "$(q 'count(cascade_redis_up == 1)')" = "$(wc -l <<<"$want")" ] && [ "$(q 'sum(cascade_sends_total{outcome="sent"}) >= 1')" != none ] && break; sleep 1; done
  echo "processes reaching Redis: $(q 'count(cascade_redis_up == 1)') of $(wc -l <<<"$want"); district exporters: $(q 'sum(cascade_district_exporter)'); accounts logged in: $(q 'sum(cascade_bot_logged_in)'); sends counted: $(q 'sum(cascade_sends_total{outcome="sent"})')"
  [ "$(q 'count(cascade_redis_up == 1)')" = "$(wc -l <<<"$want")" ] || fail "cascade_redis_up is not 1 in every process"
  [ "$(q 'sum(cascade_district_exporter)')" = 1 ] || fail "not exactly one district exporter"
  [ "$(q 'sum(cascade_sends_total{outcome="sent"}) >= 1')" != none ] || fail "no send counted by the bot processes' /metrics"
  rules=$(curl -s "$PROM/api/v1/rules" | jq '[.data.groups[].rules[]] | length')
  echo "alerting rules loaded: $rules"
  [ "$rules" -ge 8 ] 2>/dev/null || fail "Prometheus did not load monitoring/alerts.yml"
fi

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
  "image $CASCADE_IMAGE" "${size_mb} MB" \
  "up -> all $n healthy" "${healthy_s} s" \
  "up -> redis healthy" "${redis_healthy_s} s" \
  "publish -> sent" "${sent_s} s  ($ann, ${sent} group(s) sent at the root)" \
  "prometheus scrapes all" "${scrape_s:-not run} s$([ "$MONITORING" = 1 ] && echo " ($PROMETHEUS_IMAGE)")" \
  "stop (all exit 0)" "${stop_s} s"
echo "DOCKER E2E OK"
