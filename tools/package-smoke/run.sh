#!/usr/bin/env bash
# npm run test:package: is libs/replica-routing an installable package, for
# every kind of app it claims to serve? Builds it, packs it, checks the
# tarball, and installs it into three scratch apps in a temporary directory,
# each with only the peers it needs (at the versions in package-lock.json,
# from the registry, through an empty npm cache):
#   nest-typeorm    Nest + TypeORM, every peer          (nest-typeorm.ts, CommonJS, node10 resolution)
#   express-kysely  Express 5 / Fastify + Kysely        (express-kysely.mts, an ES module, no Nest/TypeORM)
#   node-drizzle    plain Node + Drizzle and /pg        (node-drizzle.ts, CommonJS, nodenext)
# Each app is compiled by this repository's tsc against its own install, and
# run against a private cluster (.cluster-package, a primary and 2 replicas
# on 127.0.0.1:29433-29435) that starts while the apps install. Each writes
# rows and reads them back from a replica with their token; see each file.
# Leaves nothing behind: apps stopped, cluster stopped, temporary directory
# and cluster data removed, on success, failure and Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

log() { printf '\n== test:package | %s\n' "$*"; }

port=29433
replicas=2
data_dir=.cluster-package
# Set explicitly: the environment wins over .env and .env.local.
pg=(HOST=127.0.0.1 USER=rocket PASSWORD=rocket DB=rocket_rides)
cluster_env=(DATA_DIR="$data_dir" POSTGRES_PORT="$port" NUM_REPLICAS="$replicas" PG_FSYNC=off "${pg[@]/#/POSTGRES_}")

apps=(nest-typeorm express-kysely node-drizzle)
# What each app installs besides the tarball: the peers it uses, its framework, and types.
declare -A deps=(
  [nest-typeorm]="pg prom-client @nestjs/common @nestjs/core @nestjs/schedule reflect-metadata rxjs typeorm @types/pg @types/node"
  [express-kysely]="pg prom-client kysely express fastify @types/express @types/pg @types/node"
  [node-drizzle]="pg prom-client drizzle-orm @types/pg @types/node"
)
declare -A source=([nest-typeorm]=nest-typeorm.ts [express-kysely]=express-kysely.mts [node-drizzle]=node-drizzle.ts)

started=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rr-package-smoke.XXXXXX")
cluster_pid=
app_pid=
install_pids=()
passed=0
failed_apps=()

cleanup() {
  local code=$?
  # Runs once, to the end: a second Ctrl+C must not leave the cluster or the directories behind.
  trap - EXIT
  trap '' INT TERM
  # The relative paths below (the cluster's data directory) are the repository's.
  cd "$repo"
  for pid in $app_pid "${install_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "$cluster_pid" ]; then
    # SIGTERM: npm hands it to the launcher, which stops its nodes and exits.
    kill -TERM "$cluster_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
      kill -0 "$cluster_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$cluster_pid" 2>/dev/null; then
      log "the launcher did not stop in 30 s: killing it"
      command -v pkill >/dev/null && pkill -KILL -P "$cluster_pid" || true
      kill -KILL "$cluster_pid" 2>/dev/null || true
    fi
    wait "$cluster_pid" 2>/dev/null || true
    if [ "$passed" -ne "${#apps[@]}" ] && [ -f "$tmp/cluster.log" ]; then
      log "cluster log (last 30 lines)"
      tail -n 30 "$tmp/cluster.log"
    fi
    # Only a data directory our launcher created (not one a concurrent run holds, nor one it
    # refused to delete: it marks what it builds).
    if grep -q '^launcher | recreating' "$tmp/cluster.log" 2>/dev/null &&
      [ -f "$data_dir/.rocket-rides-scratch" ]; then
      # A node the launcher was still starting when it was told to stop can outlive it.
      if compgen -G "$data_dir/*/postmaster.pid" >/dev/null; then
        log "a node outlived the launcher: npm run cluster:stop"
        env "${cluster_env[@]}" npm run --silent cluster:stop || true
      fi
      rm -rf "$data_dir"
    fi
  fi
  rm -rf "$tmp"
  local failed=$((${#apps[@]} - passed))
  [ "${#failed_apps[@]}" -eq 0 ] || printf '\nfailed: %s\n' "${failed_apps[*]}"
  printf '\n%d passed, %d failed (%d s)\n' "$passed" "$failed" $((SECONDS - started))
  if [ "$failed" -eq 0 ]; then exit 0; fi
  exit $((code == 0 ? 1 : code))
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "build: npm run build:lib"
npm run --silent build:lib

log "pack"
tarball=$(cd libs/replica-routing && npm pack --silent --pack-destination "$tmp")
tarball="$tmp/$tarball"
contents=$(tar -tzf "$tarball")
# package.json, README, LICENSE, and every file the exports map (and main/types) points at.
mapfile -t needed < <(node -e '
  const pkg = require(process.argv[1]);
  const targets = new Set(["package.json", "README.md", "LICENSE", pkg.main, pkg.types]);
  const walk = (t) => (typeof t === "string" ? targets.add(t) : Object.values(t).forEach(walk));
  walk(pkg.exports);
  for (const t of targets) console.log(`package/${t.replace(/^\.\//, "")}`);
  console.log(Object.keys(pkg.exports).join(" "));' "$repo/libs/replica-routing/package.json")
subpaths=${needed[-1]}
unset 'needed[-1]'
for need in "${needed[@]}"; do
  grep -qx "$need" <<<"$contents" || { log "$need is missing from the tarball"; exit 1; }
done
if grep -E '\.spec\.|/src/|/test/|tsconfig' <<<"$contents"; then
  log "the tarball holds files a package must not ship (above)"
  exit 1
fi
echo "$(basename "$tarball"): $(wc -l <<<"$contents") files, $(du -k "$tarball" | cut -f1) kB"
echo "exports: $subpaths (${#needed[@]} files, all in the tarball)"

# The cluster starts now, while the apps install.
log "private cluster: primary on 127.0.0.1:$port, $replicas replicas, in $data_dir (starting)"
env "${cluster_env[@]}" npm run cluster >"$tmp/cluster.log" 2>&1 &
cluster_pid=$!

log "scratch apps: npm install the tarball and each app's peers (in parallel, empty caches)"
for app in "${apps[@]}"; do
  mkdir -p "$tmp/$app/src"
  echo "{ \"name\": \"rr-smoke-$app\", \"version\": \"0.0.0\", \"private\": true }" >"$tmp/$app/package.json"
  # shellcheck disable=SC2086 # the list splits on spaces
  mapfile -t specs < <(node -e '
    const lock = require(process.argv[1]);
    for (const name of process.argv.slice(2)) {
      const locked = lock.packages[`node_modules/${name}`];
      if (!locked) throw new Error(`${name} is not in package-lock.json`);
      console.log(`${name}@${locked.version}`);
    }' "$repo/package-lock.json" ${deps[$app]})
  echo "$app: ${specs[*]}"
  (cd "$tmp/$app" && exec npm install --no-audit --no-fund --cache "$(mktemp -d "$tmp/npm-cache.XXXXXX")" \
    "$tarball" "${specs[@]}") >"$tmp/$app/install.log" 2>&1 &
  install_pids+=($!)
done
for i in "${!apps[@]}"; do
  app=${apps[$i]}
  if ! wait "${install_pids[$i]}"; then
    log "$app: npm install failed"
    cat "$tmp/$app/install.log"
    exit 1
  fi
  echo "$app: $(grep -E '^(added|changed|up to date)' "$tmp/$app/install.log" | tail -n 1)"
done
install_pids=()

log "compile each app against its install (this repository's tsc)"
for app in "${apps[@]}"; do (
  cd "$tmp/$app"
  cp "$repo/tools/package-smoke/${source[$app]}" "src/main.${source[$app]##*.}"
  cp "$repo/tools/package-smoke/common.ts" src/common.ts
  # Declarations are checked too (ours, and the peers' we pull in), except in node-drizzle:
  # drizzle-orm's own do not pass (types of drivers not installed, such as gel and mysql2).
  skip_lib_check=$([ "$app" = node-drizzle ] && echo true || echo false)
  if [ "$app" = nest-typeorm ]; then
    # A classic Nest app's settings: CommonJS, node10 resolution (no exports: typesVersions).
    module='"module": "commonjs", "moduleResolution": "node10", "ignoreDeprecations": "6.0",
    "experimentalDecorators": true, "emitDecoratorMetadata": true,'
  else
    module='"module": "nodenext", "moduleResolution": "nodenext",'
  fi
  cat >tsconfig.json <<EOF
{
  "compilerOptions": {
    $module
    "target": "es2023",
    "lib": ["es2023"],
    "strict": true,
    "esModuleInterop": true,
    "skipLibCheck": $skip_lib_check,
    "types": ["node"],
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src"]
}
EOF
  "$repo/node_modules/.bin/tsc" -p tsconfig.json || { log "$app: does not compile against the package"; exit 1; }
  echo "$app: compiled ($(cd dist && echo main.*))"
) done

log "private cluster: waiting until it is ready"
deadline=$((SECONDS + 180))
until grep -q '^launcher | cluster ready' "$tmp/cluster.log"; do
  kill -0 "$cluster_pid" 2>/dev/null || { log "the launcher exited before the cluster was ready"; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { log "the cluster was not ready in 180 s"; exit 1; }
  sleep 0.2
done
grep '^launcher |' "$tmp/cluster.log"

for app in "${apps[@]}"; do
  log "run $app"
  main=$(cd "$tmp/$app/dist" && echo main.*)
  (cd "$tmp/$app" && exec env "${pg[@]/#/SMOKE_PG_}" SMOKE_PG_PORT="$port" SMOKE_REPLICAS="$replicas" \
    SMOKE_APP="$app" node "dist/$main") &
  app_pid=$!
  if wait "$app_pid"; then
    passed=$((passed + 1))
  else
    failed_apps+=("$app")
  fi
  app_pid=
done
