# Helpers shared by the Docker scripts (scripts/docker-e2e.sh, scripts/docker-ha.sh): sourced, not run.
# Before sourcing: cd to the repo root and set FAIL_PREFIX (what a failure line starts with),
# PROJECT_NAME (the compose project) and TAG (names the temp files: ${TMPDIR:-/tmp}/cascade-$TAG-*).
# After sourcing: set PROFILE=(--profile …) and COMPOSE_FILES=(-f … -f …) as the script needs them.
# Provides: now, secs, step, fail, dc, tmpf, running_services, publish, COMPOSE, TOKEN (after
# ensure_env), and the steps ensure_env, build_image, wait_healthy, wait_accounts_ready.

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf '\n== %s\n' "$*"; }
fail() { echo "$FAIL_PREFIX: $*"; exit 1; }
tmpf() { echo "${TMPDIR:-/tmp}/cascade-$TAG-$1"; }

docker info >/dev/null 2>&1 || fail "no Docker engine answers (docker info): start one, e.g. bash ../shared/docker/stand-in-images.sh"
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
"${COMPOSE[@]}" version >/dev/null 2>&1 || fail "neither 'docker compose' (v2) nor 'docker-compose' (v1) is installed"
PROFILE=()        # profiles: Compose v2, or v1 ≥ 1.28
COMPOSE_FILES=()  # empty: docker-compose.yml alone
dc() { "${COMPOSE[@]}" "${COMPOSE_FILES[@]}" -p "$PROJECT_NAME" "${PROFILE[@]}" "$@"; }
for t in curl jq; do command -v "$t" >/dev/null || fail "$t is needed"; done

# The services that have a container in this project now, one a line (Compose v1's `ps --services`
# lists every profile's services, running or not).
running_services() {
  local c
  for c in $(dc ps -q); do docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' "$c"; done | sort
}

# .env: the operator's if there is one, else one with a fresh token and password (kept for later runs).
ensure_env() {
  if [ ! -f .env ]; then
    sed -e "s/^CASCADE_API_TOKEN=.*/CASCADE_API_TOKEN=$(openssl rand -hex 32)/" \
        -e "s/^REDIS_PASSWORD=.*/REDIS_PASSWORD=$(openssl rand -hex 24)/" .env.example > .env
    echo "wrote .env (random CASCADE_API_TOKEN and REDIS_PASSWORD)"
  fi
  TOKEN=$(sed -n 's/^CASCADE_API_TOKEN=//p' .env | tail -n1)
  [ "${#TOKEN}" -ge 32 ] || fail ".env: CASCADE_API_TOKEN must be at least 32 characters (serve refuses it otherwise)"
}

# docker build of $CASCADE_IMAGE (NO_CACHE=1: from scratch); sets build_s and size_mb.
build_image() {
  local log t
  log=$(tmpf build.log)
  step "build: docker build --network host -t $CASCADE_IMAGE ."
  t=$(now)
  docker build --network host ${NO_CACHE:+--no-cache} -t "$CASCADE_IMAGE" . > "$log" 2>&1 || { tail -30 "$log"; fail "docker build (log: $log)"; }
  build_s=$(secs "$t" "$(now)")
  size_mb=$(docker image inspect "$CASCADE_IMAGE" --format '{{.Size}}' | awk '{ printf "%.0f", $1 / 1e6 }')
  docker image ls "$CASCADE_IMAGE"
  grep -E '^slim node_modules' "$log" || true
}

# Waits (up to 120 s from $1, a `now` taken before `up`) until every container is healthy, or runs
# when it has no healthcheck; sets n (containers), healthy_s, and first_healthy_s: when the service
# $2 was healthy. Containers, not `ps --services`: Compose v1 lists the services of every profile.
wait_healthy() {
  local t=$1 watch_c c h
  watch_c=$(dc ps -q "$2")
  n=$(dc ps -q | wc -l)
  healthy=0
  first_healthy_s=
  for _ in $(seq 600); do
    healthy=0
    for c in $(dc ps -q); do
      h=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none {{.State.Status}}{{end}}' "$c")
      # A service without a healthcheck (prometheus, the sentinels) counts once it runs.
      if [ "$h" = healthy ] || [ "$h" = "none running" ]; then
        healthy=$((healthy + 1))
        [ -n "$first_healthy_s" ] || [ "$c" != "$watch_c" ] || first_healthy_s=$(secs "$t" "$(now)")
      fi
    done
    [ "$healthy" = "$n" ] && break
    sleep 0.2
  done
  healthy_s=$(secs "$t" "$(now)")
  for c in $(dc ps -q); do docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c"; done
  [ "$healthy" = "$n" ] || { dc logs --tail 20; fail "$healthy of $n services healthy after 120 s"; }
}

# serve ready (/readyz), every account logged in (/status), the API refusing a request without the token.
wait_accounts_ready() {
  local f
  f=$(tmpf ready.json)
  step "readiness: serve ready (/readyz), every account logged in (/status; mock puppet)"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$API/readyz")" = 200 ] || fail "/readyz is not 200"
  for _ in $(seq 150); do
    curl -s -o "$f" "$API/status" || true
    [ "$(jq -r '.accountsReady' "$f" 2>/dev/null)" = true ] && break
    sleep 0.2
  done
  jq -c '{ready, redis, accountsReady, bots: [.bots[] | {id, loggedIn}]}' "$f"
  [ "$(jq -r '.accountsReady' "$f")" = true ] || fail "not every account logged in per /status"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/api/announcements")" = 401 ] || fail "the API answers without a token"
}

# POST /api/announcements with the JSON body $1; prints the new code (fails without one).
publish() {
  local res code
  res=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$1" "$API/api/announcements")
  code=$(jq -r .code <<<"$res" 2>/dev/null)
  # (stderr: this runs inside $(…); set -e then stops the caller)
  [ -n "$code" ] && [ "$code" != null ] || { echo "$FAIL_PREFIX: publish: $res" >&2; exit 1; }
  echo "$code"
}
