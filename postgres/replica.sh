#!/bin/sh
# A streaming replica: clone the running primary once (pg_basebackup -R, with
# its own replication slot so the primary keeps the WAL it still needs), then
# run. A restarted container keeps its data and catches up from the slot; a
# removed volume is cloned again (the old, inactive slot is dropped first).
. /bootstrap/common.sh
require REPLICA_NAME PRIMARY_HOST REPLICATION_USER REPLICATION_PASSWORD
export PGPASSWORD="$REPLICATION_PASSWORD"
slot=$(echo "$REPLICA_NAME" | tr -c 'a-z0-9_\n' '_')

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log "$REPLICA_NAME" "waiting for $PRIMARY_HOST"
  until pg_isready -q -h "$PRIMARY_HOST" -p 5432; do sleep 1; done
  psql -q -h "$PRIMARY_HOST" -U "$REPLICATION_USER" -d postgres -v ON_ERROR_STOP=1 \
    -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$slot' AND NOT active" >/dev/null
  begin_datadir
  log "$REPLICA_NAME" "cloning $PRIMARY_HOST into $PGDATA (slot $slot)"
  as_postgres env PGPASSWORD="$PGPASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U "$REPLICATION_USER" \
    -D "$PGDATA" -R -X stream -C -S "$slot" --checkpoint=fast
  # Name the stream after the replica (pg_stat_replication.application_name).
  echo "primary_conninfo = 'host=$PRIMARY_HOST port=5432 user=$REPLICATION_USER password=$REPLICATION_PASSWORD application_name=$REPLICA_NAME'" \
    >> "$PGDATA/postgresql.auto.conf"
  commit_datadir
  log "$REPLICA_NAME" "cloned"
fi

# setpriv, not runuser: it execs, so postgres itself gets `docker stop`'s signal
# from the init (runuser stayed in between with SIGINT blocked: every stop waited
# out the grace period, then SIGKILLed postgres and left it crash recovery).
exec setpriv --reuid=postgres --regid=postgres --init-groups -- postgres -D "$PGDATA"
