#!/bin/sh
# The primary: initialise once (database, roles, WAL settings, pg_hba), then run.
. /bootstrap/common.sh
require POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB REPLICATION_USER REPLICATION_PASSWORD \
  ROCKET_OWNER_USER ROCKET_OWNER_PASSWORD ROCKET_API_USER ROCKET_API_PASSWORD \
  ROCKET_OBSERVER_USER ROCKET_OBSERVER_PASSWORD ROCKET_LOG_USER ROCKET_LOG_PASSWORD

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log primary "initialising $PGDATA with $(postgres --version)"
  begin_datadir
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C >/dev/null
  rm -f "$pwfile"
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
unix_socket_directories = '/tmp'
wal_level = replica
max_wal_senders = 20
max_replication_slots = 20
# pg_basebackup -C creates a replica's slot only after its backup has started;
# until then nothing holds the WAL it will stream, and five replicas cloning at
# once (each forcing a checkpoint) once recycled it under one of them.
wal_keep_size = '256MB'
hot_standby = on
hot_standby_feedback = on
# The unified log stamps each event with its transaction's commit time.
track_commit_timestamp = on
log_min_messages = warning
log_checkpoints = off
CONF
  cat >> "$PGDATA/pg_hba.conf" <<HBA
host replication $REPLICATION_USER all scram-sha-256
host all all all scram-sha-256
HBA
  # Database and roles, on a server that listens on no TCP port yet: the
  # replication role, then the app's (roles.sql, as the native launcher runs
  # it). Values go in as psql variables, which psql quotes, never spliced into SQL.
  # Its socket in a directory of its own, not /tmp: the healthcheck (pg_isready on /tmp) must not
  # call the primary healthy, and compose start migrations, while it is still being set up.
  socket=$(mktemp -d)
  chown postgres "$socket"
  as_postgres pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories='$socket'" start >/dev/null
  as_postgres psql -v ON_ERROR_STOP=1 -h "$socket" -U "$POSTGRES_USER" -d postgres -q \
    -v db="$POSTGRES_DB" -v replication_user="$REPLICATION_USER" -v replication_password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"replication_user" REPLICATION LOGIN PASSWORD :'replication_password';
CREATE DATABASE :"db";
SQL
  as_postgres psql -v ON_ERROR_STOP=1 -h "$socket" -U "$POSTGRES_USER" -d "$POSTGRES_DB" -q -1 \
    -v db="$POSTGRES_DB" \
    -v owner_user="$ROCKET_OWNER_USER" -v owner_password="$ROCKET_OWNER_PASSWORD" \
    -v api_user="$ROCKET_API_USER" -v api_password="$ROCKET_API_PASSWORD" \
    -v observer_user="$ROCKET_OBSERVER_USER" -v observer_password="$ROCKET_OBSERVER_PASSWORD" \
    -v log_user="$ROCKET_LOG_USER" -v log_password="$ROCKET_LOG_PASSWORD" \
    -f /bootstrap/roles.sql
  as_postgres pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  rm -rf "$socket"
  commit_datadir
  log primary "initialised"
fi

# setpriv, not runuser: it execs, so postgres itself gets `docker stop`'s signal
# from the init (runuser stayed in between with SIGINT blocked: every stop waited
# out the grace period, then SIGKILLed postgres and left it crash recovery).
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA"
