#!/usr/bin/env bash
# The `ha` compose profile under a master kill (issue 28): build the image once, `up` the compose
# file with `--profile ha` (master, 2 replicas, 3 sentinels) and every Cascade service pointed at
# the sentinels (docker/compose.ha-measure.yml), then RUNS times: publish an urgent notice through
# the API to the whole mock district (every node takes it unreviewed), and once KILL_AT groups of
# it are sent, `docker kill -s KILL` the container the sentinels name master now. Per run:
#   elected      kill → a sentinel names another master (polled through docker exec, ≈ 0.2 s a round)
#   reconnected  kill → the last Cascade process (serve, each bot) logged `redis.reconnected`
#   first_new    kill → the first delivery confirmed after the kill (its confirmedAt, stamped by the
#                bot process: written to the new master, the old one being dead) …
#   seen_new     … and when that record was first read on the new master (polled; a round takes a few tenths of a second)
#   complete     kill → the notice complete again: every public group has its post (the mock's
#                record), every delivery final (confirmed/sent/withdrawn/failed), no node pending
#   lost / doubled / doubled marked 【补发】 / stuck   as the fault suite counts them (scripts/faults/run.ts),
#                from the mock puppet's record of posts (CASCADE_MOCK_POSTS, one file per bot
#                container), the delivery records (HVALS on the master) and the API's status tree
# Between runs the killed container is started again (`docker start`) and the next run waits until
# it is a replica of the new master (BETWEEN=fresh: `down -v` and `up` instead). At the end: the
# table, min/median/max, and `down -v` (the built image stays).
# Not part of `npm test` or CI (needs a Docker engine; ../shared/docker/stand-in-images.sh
# provides one where no registry is reachable).
#
#   scripts/docker-ha.sh     RUNS (10); KILL_AT "k1 k2 …" groups sent before the kill, one per run, cycled
#                            (default 3 5 7 9 11 4 6 8 10 12 of the district's 19 public groups);
#                            PER_MINUTE: every account's pace (default: bots/*.yaml's own, 120);
#                            BETWEEN restart|fresh; CASCADE_PORT (18081); PROJECT_NAME (cascade-ha);
#                            KEEP=1 leaves the stack up; NO_CACHE=1 builds from scratch; NO_BUILD=1 runs
#                            CASCADE_IMAGE as it is (e.g. a variant built FROM cascade:latest)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export CASCADE_PORT="${CASCADE_PORT:-18081}"
PROJECT_NAME="${PROJECT_NAME:-cascade-ha}"
API="http://127.0.0.1:$CASCADE_PORT"
export CASCADE_IMAGE="${CASCADE_IMAGE:-cascade:latest}"
RUNS="${RUNS:-10}"
read -r -a KILL_AT <<<"${KILL_AT:-3 5 7 9 11 4 6 8 10 12}"
BETWEEN="${BETWEEN:-restart}"
PER_MINUTE="${PER_MINUTE:-}"
DEADLINE_S=150      # after the kill: a run that is not complete by then counts what it has
SETTLE_S=20         # after complete: outboxes empty (a 补发 could still come from a job waiting)

FAIL_PREFIX="DOCKER HA FAILED"
TAG="ha-$PROJECT_NAME"
# shellcheck source=scripts/docker-lib.sh
. "$ROOT/scripts/docker-lib.sh"
PROFILE=(--profile ha)
COMPOSE_FILES=(-f docker-compose.yml -f docker/compose.ha-measure.yml)
case "$BETWEEN" in restart|fresh) ;; *) fail "BETWEEN is restart or fresh (got $BETWEEN)";; esac
ensure_env
PASS=$(sed -n 's/^REDIS_PASSWORD=//p' .env | tail -n1)
NS=$(sed -n 's/^CASCADE_NS=//p' .env | tail -n1); NS=${NS:-cascade}

# The configuration the containers read (HA_DIR/config, HA_DIR/bots): this checkout's, every node
# taking urgent notices unreviewed, the pace PER_MINUTE if given.
export HA_DIR; HA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cascade-ha-conf.XXXXXX")
cp -r config bots "$HA_DIR"/
sed -i -E 's/(urgent: \{[^}]*autoForwardAfter: )[0-9]+/\10/' "$HA_DIR/config/policies.yaml"
[ -z "$PER_MINUTE" ] || sed -i -E "s/perMinute: [0-9]+/perMinute: $PER_MINUTE/" "$HA_DIR"/bots/*.yaml
PACE="${PER_MINUTE:-as in bots/*.yaml (120)} posts per minute per account"
chmod -R a+rX "$HA_DIR"   # the containers run as uid 1000
BOTS=$(cd "$HA_DIR/bots" && ls -- *.yaml | sed 's/\.yaml$//')

cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then dc down -v --remove-orphans >/dev/null 2>&1 || true; rm -rf "$HA_DIR"; fi
}
trap cleanup EXIT

# ── helpers ──────────────────────────────────────────────────────────────────────────────────
ms() { date +%s%3N; }
msecs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
DATA_SERVICES=(redis-ha-master redis-ha-replica-1 redis-ha-replica-2)
SENTINELS=(redis-sentinel-1 redis-sentinel-2 redis-sentinel-3)
# Container ids, looked up once per `up` (docker-compose v1 takes ~0.5 s per call; ids survive `docker start`).
declare -A CID
resolve_ids() { local s; for s in "${DATA_SERVICES[@]}" "${SENTINELS[@]}" serve $BOTS; do CID[$s]=$(dc ps -q "$s"); done; }
ip_of() { docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1"; }
# The master's address as the sentinels say now (the first that answers).
sentinel_master() {
  local s a
  for s in "${SENTINELS[@]}"; do
    a=$(docker exec "${CID[$s]}" redis-cli -p 26379 --raw SENTINEL get-master-addr-by-name cascade 2>/dev/null | head -n1) || true
    [ -n "$a" ] && { echo "$a"; return 0; }
  done
  return 1
}
# The data container holding an address.
container_of() {
  local s c
  for s in "${DATA_SERVICES[@]}"; do c=${CID[$s]}; [[ " $(ip_of "$c") " == *" $1 "* ]] && { echo "$c"; return 0; }; done
  return 1
}
rcli() { local c=$1; shift; docker exec "$c" redis-cli -a "$PASS" --no-auth-warning --raw "$@"; }
deliveries() { rcli "$1" HVALS "{$NS}:deliveries:$2" | jq -s -c .; }
name_of() { docker inspect --format '{{.Name}}' "$1" | sed 's#^/##'; }
# Jobs left in the accounts' outboxes (waiting, active, delayed, prioritized).
backlog() {
  local b n=0 k
  for b in $BOTS; do
    k="{$NS}:bull:outbox-$b"
    n=$((n + $(rcli "$1" LLEN "$k:wait") + $(rcli "$1" LLEN "$k:active") + $(rcli "$1" ZCARD "$k:delayed") + $(rcli "$1" ZCARD "$k:prioritized")))
  done
  echo "$n"
}
# Every group post of every account (the mock's record), as one JSON array.
posts() {
  local b
  for b in $BOTS; do docker exec "${CID[$b]}" cat /tmp/mock-posts.jsonl 2>/dev/null || true; done | jq -s -c .
}
# kill → the last Cascade process's app connection back (its first `redis.reconnected` log line
# after the kill; processes that logged none are left out), in ms since the epoch.
reconnected() {
  local b since
  since=$(date -u -d "@$(($1 / 1000))" +%Y-%m-%dT%H:%M:%SZ)
  for b in serve $BOTS; do
    docker logs --since "$since" "${CID[$b]}" 2>&1 | jq -R --argjson k "$1" 'fromjson? | select(.event? == "redis.reconnected")
      | (.time[0:19] + "Z" | fromdateiso8601) * 1000 + (.time[20:23] | tonumber) | select(. > $k)' | head -n1
  done | sort -n | tail -n1
}
tree() { curl -s -m 3 -H "Authorization: Bearer $TOKEN" "$API/api/announcements/$1" || true; }
# From a status tree: "total sent unfinal pending" — groups recorded, sent (confirmed included),
# not final (queued or sending), nodes pending; "0 0 -1 -1" when the API did not answer.
counts() {
  local v
  v=$(jq -r '[.. | objects | select(has("groups") and has("state"))] as $n
    | [($n | map(.groups.total) | add // 0), ($n | map(.groups.sent) | add // 0),
       ($n | map(.groups.queued + .groups.sending) | add // 0), ($n | map(select(.state == "pending")) | length)] | @tsv' 2>/dev/null <<<"$1") || v=
  echo "${v:-0 0 -1 -1}"
}
# The master has both replicas online and every sentinel agrees on it.
replication_whole() {
  local a c s
  a=$(sentinel_master) || return 1
  c=$(container_of "${a%%$'\n'*}") || return 1
  [ "$(rcli "$c" INFO replication | grep -c '^slave[0-9]*:.*state=online')" = 2 ] || return 1
  for s in "${SENTINELS[@]}"; do
    [ "$(docker exec "${CID[$s]}" redis-cli -p 26379 --raw SENTINEL get-master-addr-by-name cascade | head -n1)" = "$a" ] || return 1
  done
}

up_stack() {
  step "up -d (${COMPOSE[*]} ${COMPOSE_FILES[*]} ${PROFILE[*]}, project $PROJECT_NAME, serve on 127.0.0.1:$CASCADE_PORT)"
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  local t; t=$(now)
  dc up -d --no-build
  wait_healthy "$t" serve
  wait_accounts_ready
  resolve_ids
}

[ "${NO_BUILD:-0}" = 1 ] || build_image
up_stack
# The public groups of the district (every node forwards): read in the serve container (its yaml module).
EXPECTED=$(dc exec -T serve node -e "
  const Y = require('yaml'); const n = Y.parse(require('fs').readFileSync('config/network.yaml', 'utf8')).nodes
  console.log(JSON.stringify(n.flatMap(x => (x.groups || []).filter(g => g.kind === 'public').map(g => g.topic))))")
N_EXPECTED=$(jq length <<<"$EXPECTED")
echo "district: $N_EXPECTED public groups; accounts: $(tr '\n' ' ' <<<"$BOTS"); pace: $PACE"

# ── runs ─────────────────────────────────────────────────────────────────────────────────────
RESULTS=$(tmpf results.tsv)
printf 'run\tkill_at\tkilled\tpromoted\telected_s\treconnected_s\tfirst_new_s\tseen_new_s\tcomplete_s\tlost\tdoubled\tdoubled_marked\tstuck\tposts\tsent_at_kill\tcode\n' > "$RESULTS"
for run in $(seq "$RUNS"); do
  k=${KILL_AT[$(( (run - 1) % ${#KILL_AT[@]} ))]}
  step "run $run/$RUNS: kill the master once $k of $N_EXPECTED groups are sent"
  for _ in $(seq 300); do replication_whole && break; sleep 0.2; done
  replication_whole || fail "the master does not have both replicas online (or the sentinels disagree) after 60 s"
  old_ip=$(sentinel_master | head -n1)
  old_c=$(container_of "$old_ip")
  echo "master: $(name_of "$old_c") ($old_ip)"

  t_pub=$(ms)
  code=$(publish "{\"node\":\"chaotian\",\"text\":\"Redis 主节点故障演练（第 $run 次）：本通知经 API 发布\",\"severity\":\"urgent\",\"category\":\"通知\"}")
  sent=0
  for _ in $(seq 600); do
    read -r _ sent _ _ < <(counts "$(tree "$code")")
    [ "$sent" -ge "$k" ] && break
    sleep 0.05
  done
  docker kill -s KILL "$old_c" >/dev/null
  t_kill=$(ms)
  echo "$code: $sent groups sent $(msecs "$t_pub" "$t_kill") s after publishing; $(name_of "$old_c") killed"

  # Election: a sentinel names another address.
  new_ip=
  for _ in $(seq 600); do
    a=$(sentinel_master | head -n1) || a=
    if [ -n "$a" ] && [ "$a" != "$old_ip" ]; then new_ip=$a; break; fi
    sleep 0.1
  done
  t_elect=$(ms)
  [ -n "$new_ip" ] || fail "no new master within 60 s of the kill"
  new_c=$(container_of "$new_ip")
  echo "  +$(msecs "$t_kill" "$t_elect") s: $(name_of "$new_c") ($new_ip) named master"

  # On the new master: the first delivery confirmed after the kill, and the notice complete.
  seen_new=; first_new=; complete=
  while [ "$(ms)" -lt $((t_kill + DEADLINE_S * 1000)) ]; do
    if [ -z "$seen_new" ]; then
      f=$(deliveries "$new_c" "$code" | jq --argjson k "$t_kill" '[.[] | .confirmedAt // 0 | select(. > $k)] | min // empty')
      [ -z "$f" ] || { seen_new=$(ms); first_new=$f; echo "  +$(msecs "$t_kill" "$seen_new") s: a delivery confirmed through the new master (stamped +$(msecs "$t_kill" "$f") s)"; }
    fi
    read -r total _ unfinal pending < <(counts "$(tree "$code")")
    if [ "$total" = "$N_EXPECTED" ] && [ "$unfinal" = 0 ] && [ "$pending" = 0 ] \
       && [ "$(posts | jq --arg c "$code" --argjson e "$EXPECTED" '[.[] | select(.text | contains($c)) | .topic] | unique | (($e - .) | length)')" = 0 ]; then
      complete=$(ms)
      echo "  +$(msecs "$t_kill" "$complete") s: complete (every public group posted, every delivery final)"
      [ -n "$seen_new" ] || echo "  (no delivery confirmed after the kill: the fan-out was over before it)"
      break
    fi
    sleep 0.2
  done
  # Settle: nothing left in the outboxes (a 补发 could still come from a waiting job).
  for _ in $(seq $((SETTLE_S * 5))); do [ "$(backlog "$new_c")" = 0 ] && break; sleep 0.2; done
  sleep 1

  # Count as the fault suite does.
  P=$(posts | jq -c --arg c "$code" '[.[] | select(.text | contains($c))]')
  D=$(deliveries "$new_c" "$code")
  read -r _ _ _ pending < <(counts "$(tree "$code")")
  read -r lost doubled marked nposts < <(jq -r --argjson e "$EXPECTED" '
    (group_by(.topic) | map({topic: .[0].topic, texts: (sort_by(.at) | map(.text))})) as $g
    | [ ($e - ($g | map(.topic)) | length),
        ($g | map(select((.texts | length) > 1 and ((.texts | length) != 2 or (.texts[1] | startswith("【补发】") | not)))) | length),
        ($g | map(select((.texts | length) == 2 and (.texts[1] | startswith("【补发】")))) | length),
        length ] | @tsv' <<<"$P")
  stuck=$(jq --argjson e "$EXPECTED" '([.[] | select(.state | IN("confirmed", "sent", "withdrawn", "failed") | not)] | length) + ($e - map(.topic) | length)' <<<"$D")
  stuck=$((stuck + pending))
  rec=$(reconnected "$t_kill")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$k" "$(name_of "$old_c")" "$(name_of "$new_c")" \
    "$(msecs "$t_kill" "$t_elect")" "${rec:+$(msecs "$t_kill" "$rec")}" "${first_new:+$(msecs "$t_kill" "$first_new")}" "${seen_new:+$(msecs "$t_kill" "$seen_new")}" \
    "${complete:+$(msecs "$t_kill" "$complete")}" "$lost" "$doubled" "$marked" "$stuck" "$nposts" "$sent" "$code" >> "$RESULTS"
  [ -z "$rec" ] || echo "  +$(msecs "$t_kill" "$rec") s: the last Cascade process reconnected (redis.reconnected)"
  echo "  lost $lost, doubled $doubled, doubled marked 【补发】 $marked, stuck $stuck; $nposts posts; deliveries $(jq -c 'group_by(.state) | map({(.[0].state): length}) | add' <<<"$D")"

  if [ "$BETWEEN" = restart ]; then docker start "$old_c" >/dev/null; elif [ "$run" -lt "$RUNS" ]; then up_stack; fi
done

# ── figures ──────────────────────────────────────────────────────────────────────────────────
step "figures ($RUNS runs; BETWEEN=$BETWEEN; $PACE)"
column -t -s $'\t' "$RESULTS"
stat() { # column name → min / median / max over the runs that have it
  local c v
  c=$(head -n1 "$RESULTS" | tr '\t' '\n' | grep -nx "$1" | cut -d: -f1)
  v=$(tail -n +2 "$RESULTS" | cut -f"$c" | grep -v '^$' | sort -n || true)
  [ -n "$v" ] || { echo none; return; }
  awk '{ v[NR] = $1 } END { printf "%s / %s / %s s (%d runs)\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[NR], NR }' <<<"$v"
}
sum() { awk -F'\t' -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next } { s += $c } END { print s + 0 }' "$RESULTS"; }
printf '%-48s %s\n' \
  "kill -9 → sentinels name a new master" "$(stat elected_s)" \
  "kill -9 → every Cascade process reconnected" "$(stat reconnected_s)" \
  "kill -9 → first post confirmed (stamp)" "$(stat first_new_s)" \
  "kill -9 → that record read on the new master" "$(stat seen_new_s)" \
  "kill -9 → notice complete again" "$(stat complete_s)" \
  "lost / doubled / doubled marked 【补发】 / stuck" "$(sum lost) / $(sum doubled) / $(sum doubled_marked) / $(sum stuck) (all runs, $(sum posts) posts)" \
  "Cascade containers restarted" "$(for b in serve $BOTS; do c=${CID[$b]}; docker inspect --format '{{.RestartCount}}' "$c"; done | awk '{ s += $1 } END { print s + 0 }')"
echo "results: $RESULTS"
if [ "${KEEP:-0}" = 1 ]; then
  echo "KEEP=1: stack left up (${COMPOSE[*]} ${COMPOSE_FILES[*]} -p $PROJECT_NAME ${PROFILE[*]} down -v to remove; HA_DIR=$HA_DIR)"
  trap - EXIT
fi
echo "DOCKER HA DONE"
