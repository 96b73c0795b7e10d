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

FAIL_PREFIX="DOCKER E2E FAILED"
TAG="e2e-$PROJECT_NAME"
# shellcheck source=scripts/docker-lib.sh
. "$ROOT/scripts/docker-lib.sh"
[ "$MONITORING" = 1 ] && PROFILE=(--profile monitoring)
ensure_env

cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then dc down -v --remove-orphans >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

build_image

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
wait_healthy "$t" redis
redis_healthy_s=$first_healthy_s
wait_accounts_ready

step "publish through the API, wait until sent"
t=$(now)
ann=$(publish '{"node":"chaotian","text":"Docker 端到端测试：本通知经 API 发布","severity":"urgent","category":"通知"}')
echo "published $ann"
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
  want=$(running_services | grep -Ev '^(redis|prometheus)$')
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
