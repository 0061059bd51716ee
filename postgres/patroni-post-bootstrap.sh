#!/bin/sh
# Patroni's post_bootstrap (postgres/patroni.yml): runs once, on the node that
# initialised the cluster, before it takes the leader key, with a superuser
# connection string as $1. Creates the app's database and roles with the same
# postgres/roles.sql as the plain deployment's primary.sh; Patroni itself
# creates the superuser and the replication role, and the replicas clone it all.
# Table privileges come later, from the migrations (see roles.sql).
set -eu
for name in POSTGRES_DB ROCKET_OWNER_USER ROCKET_OWNER_PASSWORD ROCKET_API_USER \
  ROCKET_API_PASSWORD ROCKET_OBSERVER_USER ROCKET_OBSERVER_PASSWORD ROCKET_LOG_USER ROCKET_LOG_PASSWORD; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || { echo "post_bootstrap: $name must be set" >&2; exit 1; }
done

# Values go in as psql variables, which psql quotes, never spliced into SQL.
psql "$1" -v ON_ERROR_STOP=1 -q \
  -v db="$POSTGRES_DB" \
  -v owner_user="$ROCKET_OWNER_USER" -v owner_password="$ROCKET_OWNER_PASSWORD" \
  -v api_user="$ROCKET_API_USER" -v api_password="$ROCKET_API_PASSWORD" \
  -v observer_user="$ROCKET_OBSERVER_USER" -v observer_password="$ROCKET_OBSERVER_PASSWORD" \
  -v log_user="$ROCKET_LOG_USER" -v log_password="$ROCKET_LOG_PASSWORD" <<'SQL'
CREATE DATABASE :"db";
\connect :"db"
BEGIN;
\i /bootstrap/roles.sql
COMMIT;
SQL
echo "post_bootstrap | database $POSTGRES_DB, roles $ROCKET_OWNER_USER, $ROCKET_API_USER, $ROCKET_OBSERVER_USER, $ROCKET_LOG_USER (postgres/roles.sql)"
