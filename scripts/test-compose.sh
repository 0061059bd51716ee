#!/usr/bin/env bash
# npm run test:compose: build the images, bring the compose stack up (its own
# project name and ports, so it cannot collide with `npm start`), wait for
# every service to be healthy, show pg_stat_replication, run the same jest e2e
# suite as `npm test` against it, print the stack's logs on failure, and tear
# it down with its volumes.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== test:compose | %s\n' "$*"; }

if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
project=rrs-compose-test

# Host ports: below Linux's ephemeral range (32768-60999), so that no outgoing
# connection can be holding one; if something listens on one anyway, the next
# block of 100 is tried, and the choice is printed.
ports_free() {
  node -e '
    const net = require("node:net");
    const ports = process.argv.slice(1).map(Number);
    const tryPort = (p) => new Promise((ok) => {
      const s = net.createServer().once("error", () => ok(false));
      s.listen(p, "127.0.0.1", () => s.close(() => ok(true)));
    });
    Promise.all(ports.map(tryPort)).then((r) => process.exit(r.every(Boolean) ? 0 : 1));
  ' "$@"
}
base=${COMPOSE_TEST_PORT:-28433}
for _ in 1 2 3 4 5 6 7 8 9 10; do
  ports_free $(seq "$base" $((base + 6))) && break
  base=$((base + 100))
done
ports_free $(seq "$base" $((base + 6))) || { echo "test:compose | no free block of 7 ports near ${COMPOSE_TEST_PORT:-28433}" >&2; exit 1; }
# Six Postgres ports, then the API's.
export PRIMARY_PORT=$base REPLICA0_PORT=$((base + 1)) REPLICA1_PORT=$((base + 2)) REPLICA2_PORT=$((base + 3)) \
  REPLICA3_PORT=$((base + 4)) REPLICA4_PORT=$((base + 5)) API_PORT=$((base + 6))
dc() { "${compose[@]}" -p "$project" -f docker-compose.yml "$@"; }

# Public base images when they can be pulled; local stand-ins otherwise.
if [ -z "${POSTGRES_IMAGE:-}" ] || [ -z "${NODE_IMAGE:-}" ]; then
  if timeout 60 docker pull -q postgres:16 >/dev/null 2>&1 && timeout 60 docker pull -q node:20-bookworm-slim >/dev/null 2>&1; then
    export POSTGRES_IMAGE=postgres:16 NODE_IMAGE=node:20-bookworm-slim
  else
    log "no image registry reachable: using local stand-ins"
    bash scripts/docker-local-images.sh
    export POSTGRES_IMAGE=rrs-local/postgres:15 NODE_IMAGE=rrs-local/node:20
  fi
fi
log "images: $POSTGRES_IMAGE, app on $NODE_IMAGE; compose: ${compose[*]}; host ports $PRIMARY_PORT-$API_PORT"

status=0
cleanup() {
  if [ "$status" -ne 0 ]; then
    log "failed: the stack's logs"
    dc logs --no-color --tail=200 || true
  fi
  log "tearing down"
  dc down -v --remove-orphans >/dev/null 2>&1 || true
}
trap cleanup EXIT

dc down -v --remove-orphans >/dev/null 2>&1 || true
log "build"
dc build --build-arg NODE_IMAGE="$NODE_IMAGE" migrate
log "up"
dc up -d

log "waiting for every service to be healthy"
deadline=$((SECONDS + 300))
services=(primary replica0 replica1 replica2 replica3 replica4 api observer simulator)
while :; do
  unhealthy=()
  for s in "${services[@]}"; do
    id=$(dc ps -q "$s")
    state=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)
    [ "$state" = healthy ] || unhealthy+=("$s:$state")
  done
  [ ${#unhealthy[@]} -eq 0 ] && break
  if [ $SECONDS -gt $deadline ]; then status=1; log "not healthy in time: ${unhealthy[*]}"; exit 1; fi
  sleep 2
done
migrate_exit=$(docker inspect -f '{{.State.ExitCode}}' "$(dc ps -q migrate)")
[ "$migrate_exit" = 0 ] || { status=1; log "migrate exited $migrate_exit"; exit 1; }

log "replication on the primary"
dc exec -T primary sh -c 'psql -h /tmp -U "$POSTGRES_USER" -d postgres -c "SELECT application_name, state, sent_lsn, replay_lsn FROM pg_stat_replication ORDER BY 1"'
streaming=$(dc exec -T primary sh -c 'psql -h /tmp -U "$POSTGRES_USER" -d postgres -tAc "SELECT count(*) FROM pg_stat_replication WHERE state = '"'"'streaming'"'"'"')
[ "$(echo "$streaming" | tr -d '[:space:]')" = 5 ] || { status=1; log "expected 5 streaming replicas, got $streaming"; exit 1; }

log "jest e2e against the stack"
url() { echo "postgres://${POSTGRES_USER:-rocket}:${POSTGRES_PASSWORD:-rocket}@127.0.0.1:$1/${POSTGRES_DB:-rocket_rides}"; }
export E2E_EXTERNAL=1 E2E_DATABASE_URL
E2E_DATABASE_URL=$(url "$PRIMARY_PORT")
E2E_REPLICA_URLS="replica0=$(url "$REPLICA0_PORT"),replica1=$(url "$REPLICA1_PORT"),replica2=$(url "$REPLICA2_PORT"),replica3=$(url "$REPLICA3_PORT"),replica4=$(url "$REPLICA4_PORT")"
E2E_API_URL="http://127.0.0.1:$API_PORT"
export E2E_REPLICA_URLS E2E_API_URL
npx jest -c jest.e2e.config.js || status=$?
exit "$status"
