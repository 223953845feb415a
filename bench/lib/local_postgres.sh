# Sourced first by the PostgreSQL benchmarks (bench/lock_impact.sh, bench/backfill.sh,
# bench/estimate_accuracy.sh), after they set `self` (their own path) and `args` (their
# arguments): without PGHOST the benchmark runs itself again inside a throwaway cluster; with it,
# only against a server on this machine; and migrate's own settings from the environment, which
# would change what is measured, are cleared.
if [ -z "${PGHOST:-}" ]; then
  command -v pg_virtualenv >/dev/null ||
    { echo "needs pg_virtualenv (apt-get install postgresql-common postgresql-15), or set PGHOST" >&2; exit 1; }
  # pg_virtualenv creates a cluster, sets PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, runs the
  # command and drops the cluster again, whatever the command's exit status. -t: in a temporary
  # directory also when run as root, not in /etc/postgresql.
  exec pg_virtualenv -t -v 15 bash "$self" "${args[@]}"
fi

# Only ever a server on this machine: a Unix socket directory, localhost or loopback.
IFS=, read -ra hosts <<<"$PGHOST${PGHOSTADDR:+,$PGHOSTADDR}"
for h in "${hosts[@]}"; do
  case "$h" in
    /*|localhost|127.*|::1|'[::1]') ;;
    *) echo "refusing PGHOST/PGHOSTADDR '$h': this benchmark only runs against localhost" >&2; exit 1 ;;
  esac
done

# Settings of migrate from the environment or a migrate.toml would change what is measured.
unset MIGRATE_DATABASE_URL DATABASE_URL MIGRATE_DIR MIGRATE_HISTORY_TABLE MIGRATE_HISTORY_SCHEMA \
  MIGRATE_LOCK_WAIT MIGRATE_LOCK_TIMEOUT MIGRATE_STATEMENT_TIMEOUT MIGRATE_LOCK_RETRIES \
  MIGRATE_OUTPUT MIGRATE_LOG_LEVEL MIGRATE_MAX_REPLICA_LAG PGOPTIONS
