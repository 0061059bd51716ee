# Shared by primary.sh and replica.sh. Works on the official postgres image
# (binaries on PATH, gosu) and on a Debian-package one (neither): binaries are
# looked up, and privileges are dropped with util-linux's runuser.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data/pgdata}
if command -v postgres >/dev/null 2>&1; then
  PGBIN=$(dirname "$(command -v postgres)")
else
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
export PATH="$PGBIN:$PATH"
export PGDATA

log() { echo "bootstrap($1) | $2"; }
as_postgres() { runuser -u postgres -- "$@"; }

require() {
  for name in "$@"; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
      echo "bootstrap: $name must be set" >&2
      exit 1
    fi
  done
}

prepare_datadir() {
  mkdir -p "$PGDATA"
  chown -R postgres:postgres "$(dirname "$PGDATA")"
  chmod 700 "$PGDATA"
}

# A new data directory is made aside, in $PGDATA.init (begin_datadir points
# PGDATA there), and renamed into place once complete (commit_datadir): a first
# start that fails half-way (a role that cannot be created, a killed container,
# a clone cut off) leaves nothing that the next start would take for a finished
# one; it starts over.
begin_datadir() {
  final_pgdata=$PGDATA
  PGDATA=$PGDATA.init
  rm -rf "$PGDATA"
  prepare_datadir
}
commit_datadir() {
  rm -rf "$final_pgdata"
  mv "$PGDATA" "$final_pgdata"
  PGDATA=$final_pgdata
}
