#!/usr/bin/env bash
# npm run test:package: is libs/replica-routing an installable package?
# Builds it, packs it, installs the tarball and its peer dependencies (at the
# versions in package-lock.json) into a scratch Nest app in a temporary
# directory, starts a private cluster (.cluster-package, a primary and 2
# replicas on 127.0.0.1:29433-29435), and runs tools/package-smoke/app.ts
# there, compiled by this repository's tsc against the installed package.
# Leaves nothing behind: cluster stopped, temporary directory and cluster
# data removed, on success, failure and Ctrl+C.
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

started=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rr-package-smoke.XXXXXX")
cluster_pid=
app_pid=
passed=

cleanup() {
  local code=$?
  # Runs once, to the end: a second Ctrl+C must not leave the cluster or the directories behind.
  trap - EXIT
  trap '' INT TERM
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
  fi
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
    if [ -z "$passed" ] && [ -f "$tmp/cluster.log" ]; then
      log "cluster log (last 30 lines)"
      tail -n 30 "$tmp/cluster.log"
    fi
    # Only a data directory our launcher created (not one a concurrent run holds).
    if grep -q '^launcher | recreating' "$tmp/cluster.log" 2>/dev/null; then
      # A node the launcher was still starting when it was told to stop can outlive it.
      if compgen -G "$data_dir/*/postmaster.pid" >/dev/null; then
        log "a node outlived the launcher: npm run cluster:stop"
        env "${cluster_env[@]}" npm run --silent cluster:stop || true
      fi
      rm -rf "$data_dir"
    fi
  fi
  rm -rf "$tmp"
  if [ -n "$passed" ]; then
    printf '\n1 passed, 0 failed (%d s)\n' $((SECONDS - started))
    exit 0
  fi
  printf '\n0 passed, 1 failed (%d s)\n' $((SECONDS - started))
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
for need in package/package.json package/README.md package/dist/index.js package/dist/index.d.ts; do
  grep -qx "$need" <<<"$contents" || { log "$need is missing from the tarball"; exit 1; }
done
if grep -E '\.spec\.|/src/|/test/|tsconfig' <<<"$contents"; then
  log "the tarball holds files a package must not ship (above)"
  exit 1
fi
echo "$(basename "$tarball"): $(wc -l <<<"$contents") files, $(du -k "$tarball" | cut -f1) kB"

log "scratch Nest app in $tmp/app: npm install the tarball and its peers"
mkdir -p "$tmp/app/src"
cd "$tmp/app"
echo '{ "name": "rr-package-smoke-app", "version": "0.0.0", "private": true }' >package.json
# Every peer the package declares (optional ones too: the app mounts the observer), at the
# version this repository's lockfile pins.
mapfile -t peers < <(node -e '
  const [pkg, lock] = process.argv.slice(1).map((f) => require(f));
  for (const name of Object.keys(pkg.peerDependencies)) {
    const locked = lock.packages[`node_modules/${name}`];
    if (!locked) throw new Error(`${name} is not in package-lock.json`);
    console.log(`${name}@${locked.version}`);
  }' "$repo/libs/replica-routing/package.json" "$repo/package-lock.json")
echo "peers: ${peers[*]}"
npm install --prefer-offline --no-audit --no-fund "$tarball" "${peers[@]}"
echo "@rocket-rides/replica-routing resolves to $(node -p 'require.resolve("@rocket-rides/replica-routing")')"

log "compile the app against the installed package (this repository's tsc)"
cp "$repo/tools/package-smoke/app.ts" src/main.ts
cat >tsconfig.json <<EOF
{
  "compilerOptions": {
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "target": "es2023",
    "lib": ["es2023"],
    "strict": true,
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true,
    "esModuleInterop": true,
    "skipLibCheck": true,
    "typeRoots": ["$repo/node_modules/@types"],
    "types": ["node"],
    "rootDir": "src",
    "outDir": "dist"
  },
  "include": ["src"]
}
EOF
"$repo/node_modules/.bin/tsc" -p tsconfig.json
cd "$repo"

log "private cluster: primary on 127.0.0.1:$port, $replicas replicas, in $data_dir"
env "${cluster_env[@]}" npm run cluster >"$tmp/cluster.log" 2>&1 &
cluster_pid=$!
deadline=$((SECONDS + 180))
until grep -q '^launcher | cluster ready' "$tmp/cluster.log"; do
  kill -0 "$cluster_pid" 2>/dev/null || { log "the launcher exited before the cluster was ready"; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { log "the cluster was not ready in 180 s"; exit 1; }
  sleep 0.2
done
grep '^launcher |' "$tmp/cluster.log"

log "run the app"
(cd "$tmp/app" && exec env "${pg[@]/#/SMOKE_PG_}" SMOKE_PG_PORT="$port" SMOKE_REPLICAS="$replicas" node dist/main.js) &
app_pid=$!
wait "$app_pid"
app_pid=
passed=1
