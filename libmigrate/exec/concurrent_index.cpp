#include "libmigrate/exec/concurrent_index.hpp"

#include <fmt/format.h>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/sql/postgres_statement.hpp"

namespace migrate {
namespace {

constexpr const char* kIndexSql =
    "SELECT i.indisvalid::int, t.relname, n.nspname FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_class t ON t.oid = i.indrelid "
    "WHERE c.relname = $1 AND n.nspname = coalesce(NULLIF($2, ''), current_schema())";

}  // namespace

void run_repair_statement(Backend& backend, const SqlStatement& statement, std::string sql,
                          const StepSession& session) {
  StepSession alone = session;
  alone.transactional = false;
  alone.statement_timeout = std::chrono::milliseconds(0);
  SqlStatement repair = statement;
  repair.sql = std::move(sql);
  backend.execute(repair, alone);
}

std::optional<ConcurrentIndexBuild> concurrent_index_build(const std::string& sql) {
  PgStatementInfo info = describe_postgres_statement(sql);
  if (!info.concurrent_index ||
      info.concurrent_index->kind != ConcurrentIndexAction::Kind::kCreate ||
      info.concurrent_index->index_name.empty())
    return std::nullopt;
  return ConcurrentIndexBuild{info.concurrent_index->schema, info.concurrent_index->index_name,
                              info.concurrent_index->table};
}

bool prepare_concurrent_index(Backend& backend, const ConcurrentIndexBuild& idx,
                              const SqlStatement& statement, const StepSession& session,
                              const ExecPolicy& policy) {
  auto rows = backend.query(kIndexSql, {idx.index_name, idx.schema});
  if (rows.empty()) return false;
  const std::string qualified = backend.quote_identifier(rows[0][2].value_or("")) + "." +
                                backend.quote_identifier(idx.index_name);
  if (rows[0][0] != "1") {
    policy.say(LogLevel::kWarn,
               fmt::format("index {} is INVALID (left by an earlier failed build): dropping it "
                           "concurrently before building it again",
                           qualified));
    run_repair_statement(backend, statement, "DROP INDEX CONCURRENTLY IF EXISTS " + qualified,
                         session);
    return false;
  }
  if (rows[0][1] == idx.table) {
    policy.say(LogLevel::kInfo,
               fmt::format("index {} already exists and is valid: nothing to build", qualified));
    return true;
  }
  return false;  // same name on another table: let PostgreSQL report the conflict
}

void check_concurrent_index(Backend& backend, const ConcurrentIndexBuild& idx,
                            const SqlStatement& statement, const StepSession& session) {
  auto rows = backend.query(kIndexSql, {idx.index_name, idx.schema});
  if (rows.empty() || rows[0][0] == "1") return;
  const SourceLocation where = located_at(session.where, statement);
  throw Failure(
      Error{ErrorCode::kStatementFailed,
            fmt::format("statement {} failed: index {} was built but is INVALID", statement.index,
                        idx.index_name),
            "find why the build failed (duplicate keys for a unique index, a cancelled build); the "
            "retry drops the invalid index and builds it again",
            where, std::string(sqlstate::kInvalidIndex)});
}

}  // namespace migrate
