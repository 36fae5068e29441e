#!/usr/bin/env bash
# Makes sure a PostgreSQL server with wal_level=logical is listening on
# 127.0.0.1:${PGPORT:-5432} and that the role the tests use exists, then
# prints the connection URL the tests read from RUNNEL_TEST_POSTGRES_URL.
# Fails loudly when it cannot: tests that need PostgreSQL never skip.
set -euo pipefail
# Stdout carries only the URL (callers capture it); everything the server
# tools print goes to stderr.
exec 3>&1 1>&2

port="${PGPORT:-5432}"
user="${RUNNEL_PG_USER:-runnel}"
pass="${RUNNEL_PG_PASSWORD:-runnel}"
url="postgres://${user}:${pass}@127.0.0.1:${port}/postgres?sslmode=disable"

die() { echo "ensure-postgres: $*" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}

# psql_admin runs the SQL on stdin as the postgres superuser.
psql_admin() { as_postgres "psql -X -q -At -v ON_ERROR_STOP=1 -p $port -d postgres"; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
  die "no PostgreSQL server found (install postgresql-15 or set RUNNEL_TEST_POSTGRES_URL to a server with wal_level=logical)"
fi

if [ -n "${RUNNEL_TEST_POSTGRES_URL:-}" ]; then
  echo "$RUNNEL_TEST_POSTGRES_URL" >&3
  exit 0
fi

if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q .; then
  read -r ver name _ < <(pg_lsclusters -h | head -n1)
  conf="/etc/postgresql/${ver}/${name}/conf.d/runnel.conf"
  if [ ! -f "$conf" ] || ! grep -q "wal_level = logical" "$conf"; then
    [ "$(id -u)" = 0 ] || die "need root to configure cluster ${ver}/${name} (writing $conf)"
    printf "wal_level = logical\nmax_replication_slots = 20\nmax_wal_senders = 20\nlisten_addresses = '127.0.0.1'\n" > "$conf"
    chown postgres:postgres "$conf" 2>/dev/null || true
    pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true
  fi
  if ! pg_lsclusters -h | awk -v v="$ver" -v n="$name" '$1==v && $2==n {print $4}' | grep -q online; then
    [ "$(id -u)" = 0 ] || die "PostgreSQL cluster ${ver}/${name} is down and starting it needs root"
    # 3>&- : the server daemon must not inherit the caller's capture pipe, or
    # $(ensure-postgres.sh) would wait for the server to exit.
    pg_ctlcluster "$ver" "$name" start 3>&- || die "pg_ctlcluster $ver $name start failed; see /var/log/postgresql/postgresql-${ver}-${name}.log"
  fi
else
  die "no PostgreSQL cluster found by pg_lsclusters; set RUNNEL_TEST_POSTGRES_URL"
fi

for _ in $(seq 1 50); do
  echo "select 1" | psql_admin >/dev/null 2>&1 && break
  sleep 0.2
done
level=$(echo "show wal_level" | psql_admin) || die "cannot connect to PostgreSQL on port $port"
[ "$level" = logical ] || die "wal_level is '$level', expected 'logical' (edit postgresql.conf and restart)"

psql_admin >/dev/null <<SQL || die "cannot create role ${user}"
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${user}') THEN
    CREATE ROLE ${user} LOGIN SUPERUSER REPLICATION PASSWORD '${pass}';
  END IF;
END \$\$;
SQL

echo "$url" >&3
