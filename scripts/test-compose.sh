#!/usr/bin/env bash
# npm run test:compose: build the images, bring the compose stack up (its own
# project name and ports, so it cannot collide with `npm start`), wait for
# every service to be healthy, show pg_stat_replication, run the same jest e2e
# suite as `npm test` against it, restart one replica and re-clone another,
# query Prometheus for a routing metric with data, check that both log consumers
# equal sum(distance) once the simulator stops, check that the API's proxy
# answers overflow itself in the API's JSON shape, print the stack's logs on
# failure, and tear it down with its volumes.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== test:compose | %s\n' "$*"; }

if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
project=rrs-compose-test

# Host ports: below Linux's ephemeral range (32768-60999), so that no outgoing
# connection can be holding one; if something listens on one anyway, the next
# block of 100 is tried, and the choice is printed.
base=$(npx --no-install ts-node --transpile-only tools/bin/free-port-block.ts "${COMPOSE_TEST_PORT:-28433}" 9)
# Six Postgres ports, then the API's, Prometheus' and the API proxy's.
export PRIMARY_PORT=$base REPLICA0_PORT=$((base + 1)) REPLICA1_PORT=$((base + 2)) REPLICA2_PORT=$((base + 3)) \
  REPLICA3_PORT=$((base + 4)) REPLICA4_PORT=$((base + 5)) API_PORT=$((base + 6)) PROMETHEUS_PORT=$((base + 7)) \
  PROXY_PORT=$((base + 8))
dc() { "${compose[@]}" -p "$project" -f docker-compose.yml "$@"; }

# Public base images when they can be pulled; local stand-ins otherwise.
if [ -z "${POSTGRES_IMAGE:-}" ] || [ -z "${NODE_IMAGE:-}" ] || [ -z "${DEBIAN_IMAGE:-}" ]; then
  if timeout 60 docker pull -q postgres:16 >/dev/null 2>&1 && timeout 60 docker pull -q node:24-bookworm-slim >/dev/null 2>&1 \
    && timeout 60 docker pull -q debian:bookworm-slim >/dev/null 2>&1; then
    export POSTGRES_IMAGE=postgres:16 NODE_IMAGE=node:24-bookworm-slim DEBIAN_IMAGE=debian:bookworm-slim
  else
    log "no image registry reachable: using local stand-ins"
    bash scripts/docker-local-images.sh
    export POSTGRES_IMAGE=rrs-local/postgres:15 NODE_IMAGE=rrs-local/node:24 DEBIAN_IMAGE=rrs-local/debian:bookworm
  fi
fi
if [ -z "${PROMETHEUS_IMAGE:-}" ]; then
  if timeout 60 docker pull -q prom/prometheus:v2.53.4 >/dev/null 2>&1; then
    export PROMETHEUS_IMAGE=prom/prometheus:v2.53.4
  else
    log "prom/prometheus cannot be pulled: using a local stand-in"
    bash scripts/docker-local-images.sh
    export PROMETHEUS_IMAGE=rrs-local/prometheus:2
  fi
fi
log "images: $POSTGRES_IMAGE, app on $NODE_IMAGE, $PROMETHEUS_IMAGE, haproxy on $DEBIAN_IMAGE; compose: ${compose[*]}; host ports $PRIMARY_PORT-$PROXY_PORT"

. scripts/compose-test-lib.sh
trap 'compose_finish 200' EXIT

dc down -v --remove-orphans >/dev/null 2>&1 || true
log "build"
dc build --build-arg NODE_IMAGE="$NODE_IMAGE" migrate
dc build lb redis
log "up"
# The e2e suite signs up many riders from one address: no rate limits on this test stack.
export RATE_LIMIT_KEY_RPS=0 RATE_LIMIT_SIGNUP_PER_MIN=0
dc up -d

log "waiting for every service to be healthy"
deadline=$((SECONDS + 300))
services=(primary replica0 replica1 replica2 replica3 replica4 api lb observer simulator prometheus redis streamer consumer0 consumer1)
# wait_healthy SERVICE...: until every one is healthy, or fail at the deadline.
wait_healthy() {
  while :; do
    unhealthy=()
    for s in "$@"; do
      id=$(dc ps -q "$s")
      state=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)
      [ "$state" = healthy ] || unhealthy+=("$s:$state")
    done
    [ ${#unhealthy[@]} -eq 0 ] && break
    [ $SECONDS -le $deadline ] || fail "not healthy in time: ${unhealthy[*]}"
    sleep 2
  done
}
wait_healthy "${services[@]}"
migrate_exit=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -q migrate)")
[ "$migrate_exit" = 0 ] || fail "migrate exited $migrate_exit"

# psql inside a database container: sql_on SERVICE PSQL-ARGS (one shell string).
sql_on() { dc exec -T "$1" sh -c "psql -h /tmp -U \"\$POSTGRES_USER\" -d \"\$POSTGRES_DB\" -v ON_ERROR_STOP=1 $2"; }
primary_sql() { sql_on primary "$*"; }
# How many times a replica cloned the primary successfully. (Not `| grep -q`
# anywhere here: it stops reading at its first match, dc logs then dies of
# SIGPIPE, and pipefail fails the pipeline.)
clones_of() { dc logs --no-color "$1" | grep -c ') | cloned' || true; }
streaming() { primary_sql "-tAc \"SELECT string_agg(application_name, ',' ORDER BY application_name) FROM pg_stat_replication WHERE state = 'streaming'\"" | tr -d '[:space:]'; }
all_replicas=replica0,replica1,replica2,replica3,replica4
# Waits up to 120 s for all five replicas to stream again.
wait_streaming() {
  local deadline=$((SECONDS + 120)) now
  until now=$(streaming) && [ "$now" = "$all_replicas" ]; do
    [ $SECONDS -lt $deadline ] || fail "expected $all_replicas streaming, got '${now:-}'"
    sleep 1
  done
}

log "replication on the primary"
wait_streaming
primary_sql '-c "SELECT application_name, state, sent_lsn, replay_lsn FROM pg_stat_replication ORDER BY 1"'
# More than 5 means a clone failed and the restart policy cloned again.
log "clone attempts: $(dc logs --no-color replica0 replica1 replica2 replica3 replica4 | grep -c ') | cloning' || true) for 5 replicas"

log "jest e2e against the stack"
# The credentials compose used, exported for the suite, and url PORT.
. scripts/compose-credentials.sh
export E2E_EXTERNAL=1 E2E_DATABASE_URL
E2E_DATABASE_URL=$(url "$PRIMARY_PORT")
E2E_REPLICA_URLS="replica0=$(url "$REPLICA0_PORT"),replica1=$(url "$REPLICA1_PORT"),replica2=$(url "$REPLICA2_PORT"),replica3=$(url "$REPLICA3_PORT"),replica4=$(url "$REPLICA4_PORT")"
E2E_API_URL="http://127.0.0.1:$API_PORT"
export E2E_REPLICA_URLS E2E_API_URL
npx jest -c jest.e2e.config.js || fail "jest e2e (its output is above)"

# Prometheus scrapes the api and the observer; the simulator's reads show up per node.
log "prometheus: both targets up, replica_routing_reads_total has data"
prom_query() { curl -fsS -G "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$1"; }
# Prints the series of a query result as `labels value` lines (node parses the JSON).
prom_series() {
  node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")).data.result;
    for (const s of r) console.log(JSON.stringify(s.metric), s.value[1]);'
}
reads=
for _ in $(seq 1 60); do
  up=$(prom_query 'sum(up{job=~"api|observer"})' | prom_series | awk '{print $2}' || true)
  reads=$(prom_query 'sum by (node) (increase(replica_routing_reads_total[1m])) > 0' | prom_series || true)
  [ "$up" = 2 ] && [ -n "$reads" ] && break
  sleep 2
done
[ "${up:-}" = 2 ] || fail "prometheus: targets up: ${up:-none} of 2"
[ -n "$reads" ] || fail "prometheus: no replica_routing_reads_total data"
printf '%s\n' "$reads"

# A restarted replica keeps its volume (no second clone) and catches up from its slot.

log "the simulator: it checked reads, and nothing it read was stale (it exits 1 on a stale read)"
dc stop simulator >/dev/null
sim_exit=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -q simulator)")
sim_final=$(dc logs --no-color simulator | grep 'final: ' | tail -n 1)
printf '%s\n' "$sim_final"
stale_lines=$(dc logs --no-color simulator | grep -cE 'STALE |FOREIGN rides' || true)
# Reads whose answer was judged (a 200 or a 404): reads that all failed (503s) checked nothing.
sim_checked=$(printf '%s' "$sim_final" | grep -o ' checked=[0-9]*' | cut -d= -f2)
[ "$sim_exit" = 0 ] || fail "the simulator exited $sim_exit (a stale read makes it exit 1)"
[ "$stale_lines" = 0 ] || fail "the simulator logged $stale_lines stale reads"
[ "${sim_checked:-0}" -gt 0 ] || fail "the simulator checked no read (none answered 200 or 404)"
log "the unified log: once the simulator stops, both consumers equal sum(distance) and count(*)"
agree=0
for _ in $(seq 1 60); do
  agree=$(primary_sql "-tAc \"SELECT count(*) FROM consumer_states c, (SELECT coalesce(sum(distance), 0) AS total, count(*) AS rides FROM rides) t WHERE c.total_distance = t.total AND c.rides_counted = t.rides\"" | tr -d '[:space:]')
  [ "$agree" = 2 ] && break
  sleep 1
done
primary_sql '-c "SELECT name, total_distance, rides_counted, last_seq FROM consumer_states ORDER BY name"'
primary_sql '-c "SELECT sum(distance) AS sum_distance, count(*) AS rides FROM rides"'
[ "$agree" = 2 ] || fail "the consumers do not both equal sum(distance) 60 s after the last write"
log "restart replica0: keeps its data, catches up"
dc restart replica0 >/dev/null
wait_streaming
clones=$(clones_of replica0)
[ "$clones" = 1 ] || fail "replica0 cloned $clones times, expected once"

# A replica whose volume is removed clones the primary again and then sees new writes.
log "remove replica1 and its volume: it clones the primary again"
dc rm -s -f replica1 >/dev/null
docker volume rm "${project}_replica1-data" >/dev/null
primary_sql '-c "CREATE TABLE IF NOT EXISTS compose_marks (id int)" -c "INSERT INTO compose_marks VALUES (1)"' >/dev/null
dc up -d --no-deps replica1
wait_streaming
clones=$(clones_of replica1)
[ "$clones" = 1 ] || fail "replica1 cloned $clones times, expected once"
primary_sql '-c "INSERT INTO compose_marks VALUES (2)"' >/dev/null
seen=
for _ in $(seq 1 30); do
  seen=$(sql_on replica1 '-tAc "SELECT count(*) FROM compose_marks"' | tr -d '[:space:]' || true)
  [ "$seen" = 2 ] && break
  sleep 1
done
[ "$seen" = 2 ] || fail "re-cloned replica1 shows $seen of 2 rows"
primary_sql '-c "DROP TABLE compose_marks"' >/dev/null
# The proxy recreated with room for one request in the api and a 1 ms queue: of 40
# requests at once, most overflow, and the proxy must answer them itself.
log "the proxy answers overflow itself: 503, Retry-After, the API's JSON shape, X-Request-Id"
API_MAX_IN_FLIGHT=1 PROXY_QUEUE_MS=1 recreate lb
deadline=$((SECONDS + 120))
wait_healthy lb
npx --no-install ts-node --transpile-only tools/bin/check-proxy-overflow.ts "http://127.0.0.1:$PROXY_PORT" \
  || fail "the proxy's overflow answers are wrong (above)"
log "passed: restarted replica caught up; re-cloned replica streams and replays; the proxy sheds in the API's shape"
primary_sql '-c "SELECT application_name, state FROM pg_stat_replication ORDER BY 1"'
