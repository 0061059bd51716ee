#!/usr/bin/env bash
# npm run test:compose:ha: the high-availability stack (docker-compose.ha.yml)
# end to end. Builds the images, brings the stack up (its own project name and
# ports), waits for every service to be healthy and for a leader with two
# streaming replicas, runs the same jest e2e suite as `npm test` through the
# load balancer, then stops the leader's container: a write through the
# balancer must succeed again (the seconds it took are printed), the simulator,
# reading through the balancer all along, must have counted no stale read and
# no 410 (a clean stop loses no write), and
# the old leader, started again, must rejoin as a replica. Last, the balancer
# (the API's proxy) with room for one request per API process must answer the
# overflow itself in the API's JSON shape. On failure prints the stack's logs,
# then what failed (scripts/compose-test-lib.sh); tears the stack down with its volumes.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== test:compose:ha | %s\n' "$*"; }

if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
project=rrs-compose-ha-test

# Host ports: below Linux's ephemeral range (32768-60999), so that no outgoing
# connection can be holding one; the next block of 100 is tried if one is taken.
# Away from test:compose's (28433 and up), so that both can run at once.
base=$(npx --no-install ts-node --transpile-only tools/bin/free-port-block.ts "${COMPOSE_HA_TEST_PORT:-28733}" 5)
# The balancer's API and primary ports, then the three Postgres nodes (for the e2e suite's own setup).
export API_PORT=$base LB_PRIMARY_PORT=$((base + 1)) PG0_PORT=$((base + 2)) PG1_PORT=$((base + 3)) PG2_PORT=$((base + 4))
dc() { "${compose[@]}" -p "$project" -f docker-compose.ha.yml "$@"; }

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
log "images: $POSTGRES_IMAGE (+ patroni), $DEBIAN_IMAGE (+ etcd, haproxy), app on $NODE_IMAGE; compose: ${compose[*]}; host ports $API_PORT-$PG2_PORT"

. scripts/compose-test-lib.sh
trap 'compose_finish 150' EXIT

dc down -v --remove-orphans >/dev/null 2>&1 || true
log "build"
started=$SECONDS
# One build per image: pg1, pg2 share pg0's; api0, api1, observer and simulator migrate's.
dc build etcd pg0 lb migrate
build_s=$((SECONDS - started))

log "up"
# The e2e suite signs up many riders from one address: no rate limits on this test stack.
export RATE_LIMIT_KEY_RPS=0 RATE_LIMIT_SIGNUP_PER_MIN=0
started=$SECONDS
dc up -d

log "waiting for every service to be healthy"
deadline=$((SECONDS + 300))
services=(etcd pg0 pg1 pg2 lb api0 api1 observer simulator)
while :; do
  unhealthy=()
  for s in "${services[@]}"; do
    id=$(dc ps -q "$s")
    state=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)
    [ "$state" = healthy ] || unhealthy+=("$s:$state")
  done
  [ ${#unhealthy[@]} -eq 0 ] && break
  [ $SECONDS -lt $deadline ] || fail "not healthy in time: ${unhealthy[*]}"
  sleep 2
done
migrate_exit=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -q migrate)")
[ "$migrate_exit" = 0 ] || fail "migrate exited $migrate_exit"
up_s=$((SECONDS - started))

# Patroni's view of the cluster, from the first node that answers (GET /cluster).
cluster_json() {
  local node
  for node in pg0 pg1 pg2; do
    dc exec -T "$node" curl -fsS --max-time 3 http://127.0.0.1:8008/cluster 2>/dev/null && return 0
  done
  return 1
}
# One line: `name:role:state:timeline ...` in name order (node parses the JSON).
members() {
  cluster_json | node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(c.members.map((m) => `${m.name}:${m.role}:${m.state}:${m.timeline ?? "-"}`).sort().join(" "))'
}
leader() { members | tr ' ' '\n' | awk -F: '$2 == "leader" { print $1 }'; }
# psql as the superuser on a node's socket: node_sql NODE PSQL-ARGS (one shell string).
node_sql() { dc exec -T "$1" sh -c "psql -h /tmp -U \"\$PATRONI_SUPERUSER_USERNAME\" -d postgres -v ON_ERROR_STOP=1 $2"; }
streaming() { node_sql "$1" "-tAc \"SELECT string_agg(application_name, ',' ORDER BY application_name) FROM pg_stat_replication WHERE state = 'streaming'\"" | tr -d '[:space:]'; }
others() { printf '%s\n' pg0 pg1 pg2 | grep -vx "$1" | paste -sd, -; }
running() { members | tr ' ' '\n' | grep -c ':running:' || true; }
# Waits up to 60 s for LEADER to lead, all three members to run and the two others to stream from it.
wait_cluster() {
  local want=$1 deadline=$((SECONDS + 60)) now=
  until [ "$(leader || true)" = "$want" ] && [ "$(running)" = 3 ] \
    && now=$(streaming "$want") && [ "$now" = "$(others "$want")" ]; do
    [ $SECONDS -lt $deadline ] || fail "expected $want leading $(others "$want") streaming; got: $(members || true), streaming '${now:-}'"
    sleep 1
  done
}

log "the cluster"
first_leader=$(leader || true)
[ -n "$first_leader" ] || fail "no leader: $(members || true)"
wait_cluster "$first_leader"
members
node_sql "$first_leader" '-c "SELECT application_name, state, sync_state, replay_lsn FROM pg_stat_replication ORDER BY 1"'

log "jest e2e through the load balancer"
# The credentials compose used, exported for the suite, and url PORT.
. scripts/compose-credentials.sh
port_of() { case $1 in pg0) echo "$PG0_PORT" ;; pg1) echo "$PG1_PORT" ;; pg2) echo "$PG2_PORT" ;; esac; }
# The leader as the suite's primary, the other two by their member names.
export E2E_EXTERNAL=1 E2E_BEHIND_PROXY=1 E2E_DATABASE_URL E2E_REPLICA_URLS E2E_API_URL="http://127.0.0.1:$API_PORT"
E2E_DATABASE_URL=$(url "$(port_of "$first_leader")")
E2E_REPLICA_URLS=$(for n in $(others "$first_leader" | tr , ' '); do printf '%s=%s\n' "$n" "$(url "$(port_of "$n")")"; done | paste -sd, -)
# Patroni's maintenance mode for the suite: on Postgres 14+ Patroni resumes any
# paused WAL replay on its next loop (it takes it for a pause on a parameter
# change), and the suite pauses replay on purpose. Failover is off meanwhile.
patronictl() { dc exec -T "$first_leader" patronictl -c /bootstrap/patroni.yml "$@"; }
patronictl pause --wait
started=$SECONDS
# --forceExit: a failed suite can leave a handle open (a socket, a server) and
# jest would then wait for it forever instead of letting the failover run.
npx jest -c jest.e2e.config.js --forceExit || check_failed "jest e2e (its output is above)"
e2e_s=$((SECONDS - started))
patronictl resume --wait

# The simulator's summary line (every 5 s): `... writes=N acked=N reads=N checked=N stale=N errors=...`
# (acked: 201s; checked: reads whose answer was judged, a 200 or a 404).
sim_field() { dc logs --no-color simulator | grep -o " $1=[^ ]*" | tail -n 1 | cut -d= -f2-; }
stale_lines() { dc logs --no-color simulator | grep -cE 'STALE |FOREIGN rides' || true; }
summaries() { dc logs --no-color simulator | grep -c ' checked=' || true; }
# Field $1 of the first summary line printed from now on (waits up to 12 s; else the last one).
next_sim_field() {
  local seen deadline=$((SECONDS + 12))
  seen=$(summaries)
  while [ "$(summaries)" -le "$seen" ] && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  sim_field "$1"
}

log "stop the leader ($first_leader): writes come back, nothing read is stale"
api="http://127.0.0.1:$API_PORT"
key=$(curl -fsS -XPOST "$api/users" -H 'content-type: application/json' \
  -d "{\"email\":\"failover-$$-$RANDOM@example.com\"}" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).api_key)')
writes_before=$(sim_field acked)
t0=$(date +%s.%N)
dc stop "$first_leader" >/dev/null 2>&1
t_down=$(date +%s.%N)
# The container is down, so any 201 from here on was committed by a new primary.
# A write may wait up to ELECTION_WAIT_MS (15 s) for one: the time limit is above it.
ride=
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  response=$(curl -sS --max-time 20 -D - -XPOST "$api/rides" -H "authorization: Bearer $key" \
    -H 'content-type: application/json' -d '{"distance": 42.5}' 2>/dev/null || true)
  code=$(printf '%s\n' "$response" | head -n 1 | awk '{print $2}')
  if [ "$code" = 201 ]; then ride=$response; break; fi
  printf '  write: %s\n' "${code:-no response}"
  sleep 0.2
done
t_write=$(date +%s.%N)
[ -n "$ride" ] || fail "no write succeeded within 60 s of stopping the leader"
stop_s=$(node -e "console.log((process.argv[2] - process.argv[1]).toFixed(1))" "$t0" "$t_down")
write_s=$(node -e "console.log((process.argv[2] - process.argv[1]).toFixed(1))" "$t0" "$t_write")
log "first successful write ${write_s} s after the stop began (stopping the container took ${stop_s} s)"
# Reads the simulator checked up to a summary printed after the new leader's first write.
checked_before=$(next_sim_field checked)
new_leader=$(leader || true)
[ -n "$new_leader" ] && [ "$new_leader" != "$first_leader" ] || fail "no new leader: $(members || true)"
members

# The ride just written reads back through the balancer (either API process), with its token.
ride_id=$(printf '%s\n' "$ride" | tail -n 1 | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).id)')
token=$(printf '%s\n' "$ride" | tr -d '\r' | sed -n 's/^consistency-token: //Ip' | head -n 1)
read_back=$(curl -sS "$api/rides/$ride_id" -H "authorization: Bearer $key" -H "consistency-token: $token" \
  | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).distance)' || true)
[ "$read_back" = 42.5 ] || check_failed "ride $ride_id read back as '$read_back'"

log "the old leader ($first_leader) rejoins as a replica"
started=$SECONDS
dc start "$first_leader" >/dev/null 2>&1
wait_cluster "$new_leader"
rejoin_s=$((SECONDS - started))
members

# Two summaries later (5 s apart): the simulator wrote on the new primary and saw nothing stale.
sleep 11
sim_state=$(docker inspect -f '{{.State.Status}}' "$(dc ps -q simulator)")
writes_after=$(sim_field acked)
checked_after=$(sim_field checked)
stale=$(sim_field stale)
dc logs --no-color simulator | grep 'LOG \[Simulator\]' | tail -n 1 | sed 's/.*LOG \[Simulator\] /  simulator: /'
[ "$sim_state" = running ] || check_failed "the simulator is $sim_state"
[ "${stale:-x}" = 0 ] && [ "$(stale_lines)" = 0 ] || check_failed "the simulator counted ${stale:-?} stale reads"
# A clean stop sends every write to the replicas first: none is lost, and a 410 (WriteLostError)
# would be a false alarm, such as a token checked before the new timeline's history was out.
errors=$(sim_field errors || true)
case ",${errors:-}," in *_410:*) check_failed "the simulator got 410s ($errors), though a clean stop loses no write" ;; esac
[ "${checked_after:-0}" -gt "${checked_before:-0}" ] || check_failed "the simulator checked no read after the failover (checked $checked_before -> $checked_after)"
[ "${writes_after:-0}" -gt "${writes_before:-0}" ] || check_failed "the simulator had no write acknowledged after the failover (201s $writes_before -> $writes_after)"

# The balancer recreated with room for one request per API process and a 1 ms queue:
# of 40 requests at once, most overflow, and it must answer them itself.
log "the proxy answers overflow itself: 503, Retry-After, the API's JSON shape, X-Request-Id"
# As test:compose does, the simulator (its checks are done) stops first: its own requests could
# hold both places while the 40 arrive, and then none of them would go through.
dc stop simulator >/dev/null
API_MAX_IN_FLIGHT=1 PROXY_QUEUE_MS=1 recreate lb
deadline=$((SECONDS + 120))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q lb)" 2>/dev/null)" = healthy ]; do
  [ $SECONDS -lt $deadline ] || fail "the recreated balancer is not healthy"
  sleep 2
done
# Its health checks must take both API processes into rotation again first.
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$api/health/ready")" = 200 ]; do
  [ $SECONDS -lt $deadline ] || fail "no API process in the recreated balancer's rotation"
  sleep 1
done
sleep 3
npx --no-install ts-node --transpile-only tools/bin/check-proxy-overflow.ts "$api" \
  || check_failed "the proxy's overflow answers (above)"

summary="build ${build_s} s, up ${up_s} s, e2e ${e2e_s} s; leader $first_leader stopped, first write ${write_s} s later on $new_leader; $first_leader rejoined in ${rejoin_s} s; stale reads ${stale:-?}; overflow answered by the proxy"
failed_checks && exit 1
log "passed: $summary"
