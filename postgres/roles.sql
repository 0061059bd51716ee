-- The app's roles, created once by a superuser connected to the app's
-- database right after creating it: by postgres/primary.sh in compose, by the
-- launcher natively (tools/src/cluster/roles.bootstrap.ts). psql variables:
-- db, owner_user, owner_password, api_user, api_password, observer_user,
-- observer_password, log_user, log_password. (Plain SQL and variables only, no meta-commands: the
-- launcher fills the variables in itself.) The replication role is each
-- deployment's own.
--
-- Table privileges are granted by a migration, which the owner runs
-- (libs/rides-schema/src/migrations/1732000000500-role-privileges.migration.ts):
-- they are per database, and the status table's exceptions need the table. It
-- grants to the two group roles below, whose names are fixed for that reason;
-- the logins in them are named here, so a password can be rotated by adding a
-- second login to a group, then dropping the first.

-- What an API process may do: DML on the app's tables, read the status table.
-- pg_read_all_stats: read-only statistics, without which the replication views
-- (pg_stat_replication, pg_stat_wal_receiver) show other roles only NULLs.
CREATE ROLE rides_api NOLOGIN;
GRANT pg_read_all_stats TO rides_api;

-- What the observer may do: write the status table, and read the nodes' statistics.
-- Not pg_monitor: its pg_read_all_settings shows primary_conninfo, the replication password.
CREATE ROLE rides_observer NOLOGIN;
GRANT pg_read_all_stats TO rides_observer;

-- What the unified log's processes (apps/streamer, apps/consumer) may do:
-- sequence and publish the outbox, keep the consumers' state, read rides back
-- (on replicas too: the in-band check reads pg_stat_wal_receiver).
CREATE ROLE rides_log NOLOGIN;
GRANT pg_read_all_stats TO rides_log;

-- Owns the database and the schema's objects, runs the migrations; no superuser, no CREATEROLE.
CREATE ROLE :"owner_user" LOGIN PASSWORD :'owner_password';
CREATE ROLE :"api_user" LOGIN PASSWORD :'api_password' IN ROLE rides_api;
CREATE ROLE :"observer_user" LOGIN PASSWORD :'observer_password' IN ROLE rides_observer;
CREATE ROLE :"log_user" LOGIN PASSWORD :'log_password' IN ROLE rides_log;

-- A backstop for a session left inside a transaction (its snapshot holds back
-- vacuum, and a pooled connection in that state must never serve a read): the
-- server ends it after 30 s idle. The routing library already closes such
-- connections instead of reusing them (docs/design.md, "A connection carries state").
ALTER ROLE :"api_user" SET idle_in_transaction_session_timeout = '30s';
ALTER ROLE :"observer_user" SET idle_in_transaction_session_timeout = '30s';
ALTER ROLE :"log_user" SET idle_in_transaction_session_timeout = '30s';

ALTER DATABASE :"db" OWNER TO :"owner_user";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO rides_api, rides_observer, rides_log;

-- Only the owner creates objects (before Postgres 15 every role could create in `public`).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"owner_user";
