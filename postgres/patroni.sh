#!/bin/sh
# A Patroni node of docker-compose.ha.yml: settings in postgres/patroni.yml,
# the node's name, addresses and passwords in PATRONI_* variables. Patroni
# initialises the cluster (the first node to take etcd's initialize key) or
# clones the leader, then keeps its Postgres running, promoting or following.
. /bootstrap/common.sh
require PATRONI_NAME PATRONI_POSTGRESQL_CONNECT_ADDRESS PATRONI_RESTAPI_CONNECT_ADDRESS \
  PATRONI_SUPERUSER_PASSWORD PATRONI_REPLICATION_PASSWORD

# Before the first start only (a restart keeps its data as it is): the volume
# made writable by postgres, as a bind mount need not be.
[ -d "$PGDATA" ] || prepare_datadir
export PATRONI_POSTGRESQL_DATA_DIR="$PGDATA" PATRONI_POSTGRESQL_BIN_DIR="$PGBIN" HOME=/var/lib/postgresql
log "$PATRONI_NAME" "patroni $(patroni --version | cut -d' ' -f2), $(postgres --version)"
# setpriv, not runuser: it execs, so Patroni is PID 1 and gets `docker stop`'s
# SIGTERM itself (runuser would SIGKILL it 2 s later) and shuts down cleanly,
# releasing the leader key: a stopped leader is replaced at once.
exec setpriv --reuid=postgres --regid=postgres --init-groups -- patroni /bootstrap/patroni.yml
