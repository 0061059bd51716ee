# Sourced by the compose test scripts: the credentials compose used (the
# environment, else .env), exported for the jest e2e suite. The suite's own
# setup connects as the superuser; it checks the apps' roles with the ROCKET_*
# values (test/e2e/e2e.env.ts). url PORT: the superuser's URL of a node.
from_env_file() { sed -n "s/^$1=//p" .env | tail -n 1; }
for var in POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB ROCKET_OWNER_USER ROCKET_OWNER_PASSWORD \
  ROCKET_API_USER ROCKET_API_PASSWORD ROCKET_OBSERVER_USER ROCKET_OBSERVER_PASSWORD \
  ROCKET_LOG_USER ROCKET_LOG_PASSWORD; do
  [ -n "${!var:-}" ] || printf -v "$var" '%s' "$(from_env_file "$var")"
  export "${var?}"
done
url() { echo "postgres://${POSTGRES_USER:-rocket}:$POSTGRES_PASSWORD@127.0.0.1:$1/${POSTGRES_DB:-rocket_rides}"; }
