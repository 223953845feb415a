# Sourced by benchmarks (not run on its own): a throwaway PostgreSQL 15 cluster of the benchmark's
# own, never a server that is already running.
#
#   pg_cluster_start   initdb + pg_ctl start in a new temporary directory: trust authentication,
#                      no TCP (listen_addresses = ''), a Unix socket in a private directory, a
#                      port no other server on this machine uses. Sets PG_SOCKET_DIR, PG_PORT,
#                      PG_USER, PG_VERSION and exports PGHOST/PGPORT/PGUSER/PGDATABASE for psql.
#   pg_cluster_stop    pg_ctl stop (immediate) and removes the directory; safe to call twice,
#                      and meant to be called from the caller's EXIT trap.
#
# Server binaries from PG_BIN (default /usr/lib/postgresql/15/bin, Debian's postgresql-15).
# As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root), which
# Debian's postgresql-common creates; the clients keep running as root and connect as the
# database superuser `postgres` over the socket (root can reach the private directory).
# The server keeps its default settings (fsync on): commits cost what they cost in production.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CLUSTER_DIR=""

_pg_as_owner() {  # runs a server binary as the cluster owner
  # From /, since the caller's directory may be closed to the postgres user.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

_pg_port_in_use() {  # a TCP listener or a Unix socket of that port in the usual directories
  local p=$1
  (: </dev/tcp/127.0.0.1/"$p") 2>/dev/null && return 0
  [ -e "/var/run/postgresql/.s.PGSQL.$p" ] || [ -e "/tmp/.s.PGSQL.$p" ]
}

pg_cluster_start() {
  local tool
  for tool in initdb pg_ctl postgres; do
    [ -x "$PG_BIN/$tool" ] || { echo "needs $PG_BIN/$tool (apt-get install postgresql-15, or set PG_BIN)" >&2; return 1; }
  done
  if [ "$(id -u)" -eq 0 ]; then
    getent passwd postgres >/dev/null ||
      { echo "running as root needs a 'postgres' user to run the server (apt-get install postgresql-common)" >&2; return 1; }
    command -v runuser >/dev/null || { echo "running as root needs runuser (util-linux)" >&2; return 1; }
  fi
  PG_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/migrate-bench-pg.XXXXXX")
  mkdir "$PG_CLUSTER_DIR/sock"
  [ "$(id -u)" -ne 0 ] || chown -R postgres: "$PG_CLUSTER_DIR"
  PG_SOCKET_DIR=$PG_CLUSTER_DIR/sock
  PG_USER=postgres
  _pg_as_owner "$PG_BIN/initdb" -D "$PG_CLUSTER_DIR/data" -U "$PG_USER" -A trust -E UTF8 \
    --locale=C --no-sync >"$PG_CLUSTER_DIR/initdb.log" 2>&1 ||
    { echo "initdb failed:" >&2; tail -n 20 "$PG_CLUSTER_DIR/initdb.log" >&2; return 1; }
  # A port nobody listens on; with no TCP at all and a private socket directory it cannot clash
  # anyway, but a free one keeps the cluster out of the way of anything that looks for it.
  local tries=0
  PG_PORT=$(( 20000 + RANDOM % 20000 ))
  while _pg_port_in_use "$PG_PORT"; do
    PG_PORT=$(( 20000 + RANDOM % 20000 )); tries=$((tries + 1))
    [ "$tries" -lt 100 ] || { echo "no free port found" >&2; return 1; }
  done
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -l "$PG_CLUSTER_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses='' -c unix_socket_directories='$PG_SOCKET_DIR'" start >/dev/null ||
    { echo "the PostgreSQL server did not start:" >&2; tail -n 20 "$PG_CLUSTER_DIR/server.log" >&2; return 1; }
  export PGHOST=$PG_SOCKET_DIR PGPORT=$PG_PORT PGUSER=$PG_USER PGDATABASE=postgres
  unset PGPASSWORD PGHOSTADDR PGSERVICE PGOPTIONS PGSSLMODE
  PG_VERSION=$(psql -X -At -c "SHOW server_version")
}

pg_cluster_stop() {
  [ -n "$PG_CLUSTER_DIR" ] || return 0
  if [ -f "$PG_CLUSTER_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_CLUSTER_DIR"
  PG_CLUSTER_DIR=""
}

# The connection string migrate gets for database $1 (libpq key=value: a socket directory as host).
pg_url() { echo "host=$PG_SOCKET_DIR port=$PG_PORT user=$PG_USER dbname=$1"; }
pg_createdb() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null; }
pg_dropdb() {
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
}
