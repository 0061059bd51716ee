#!/bin/sh
# Healthy: a primary that accepts connections to its database; a replica that streams.
. /bootstrap/common.sh
if [ -n "${REPLICA_NAME:-}" ]; then
  [ "$(psql -h /tmp -U "${POSTGRES_USER:-postgres}" -d postgres -tAc "SELECT status FROM pg_stat_wal_receiver")" = streaming ]
else
  pg_isready -q -h /tmp -U "$POSTGRES_USER" -d "$POSTGRES_DB"
fi
