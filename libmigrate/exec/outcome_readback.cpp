#include "libmigrate/exec/outcome_readback.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/exec/concurrent_index.hpp"
#include "libmigrate/plan/planner.hpp"
#include "libmigrate/sql/postgres_statement.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

std::string text_of(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "schema"."name", or "name" when unqualified (resolved through search_path, as the statement
// itself was).
std::string qualified(const Backend& backend, const Json& range_var) {
  std::string schema = text_of(range_var, "schemaname");
  std::string name = backend.quote_identifier(text_of(range_var, "relname"));
  return schema.empty() ? name : backend.quote_identifier(schema) + "." + name;
}

// What two CREATE INDEX statements build, without what does not change the index: names,
// CONCURRENTLY, IF NOT EXISTS, positions, and how the table was qualified (pg_get_indexdef
// always qualifies it; the candidates are already the table's own indexes).
Json index_shape(Json node) {
  if (node.is_object()) {
    for (const char* key : {"location", "idxname", "concurrent", "if_not_exists"}) node.erase(key);
    if (auto rel = node.find("relation"); rel != node.end() && rel->is_object())
      *rel = Json{{"relname", text_of(*rel, "relname")}};
    for (auto& [key, value] : node.items()) value = index_shape(std::move(value));
  } else if (node.is_array()) {
    for (auto& value : node) value = index_shape(std::move(value));
  }
  return node;
}

SourceLocation at_statement(const StepSession& session, const PlannedStatement& statement) {
  return located_at(session.where, to_sql_statement(statement));
}

struct TableIndex {
  std::string schema;
  std::string name;
  bool valid = false;
  std::string definition;
};

std::vector<TableIndex> indexes_of(Backend& backend, const std::string& table) {
  auto rows = backend.query(
      "SELECT n.nspname, c.relname, i.indisvalid::int, pg_get_indexdef(i.indexrelid) "
      "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indrelid = to_regclass($1) "
      "ORDER BY c.relname",
      {table});
  std::vector<TableIndex> out;
  for (const auto& r : rows)
    out.push_back({r[0].value_or(""), r[1].value_or(""), r[2] == "1", r[3].value_or("")});
  return out;
}

void drop_index_concurrently(Backend& backend, const TableIndex& index,
                             const PlannedStatement& statement, const StepSession& session,
                             const ExecPolicy& policy) {
  const std::string name =
      backend.quote_identifier(index.schema) + "." + backend.quote_identifier(index.name);
  policy.say(LogLevel::kWarn,
             fmt::format("statement {}: index {} is INVALID (left by the interrupted build): "
                         "dropping it concurrently before building it again",
                         statement.index, name));
  run_repair_statement(backend, to_sql_statement(statement),
                       "DROP INDEX CONCURRENTLY IF EXISTS " + name, session);
}

SentOutcome read_back_unnamed_index(Backend& backend, const PlannedStatement& statement,
                                    const PgStatementInfo& info,
                                    const StatementCheckpoint& checkpoint,
                                    const StepSession& session, const ExecPolicy& policy) {
  const Json wanted = index_shape(info.node);
  std::vector<TableIndex> unexplained;
  for (auto& index : indexes_of(backend, qualified(backend, info.node.at("relation")))) {
    if (std::find(checkpoint.indexes_before.begin(), checkpoint.indexes_before.end(), index.name) !=
        checkpoint.indexes_before.end())
      continue;
    PgStatementInfo built = describe_postgres_statement(index.definition);
    if (built.node_type != "IndexStmt" || index_shape(built.node) != wanted) {
      unexplained.push_back(std::move(index));
      continue;
    }
    if (index.valid) {
      policy.say(LogLevel::kInfo,
                 fmt::format("statement {}: the interrupted run's unnamed index build finished as "
                             "{}: recorded as done, not built twice",
                             statement.index, index.name));
      return SentOutcome::kDone;
    }
    drop_index_concurrently(backend, index, statement, session, policy);
    return SentOutcome::kNotDone;
  }
  if (unexplained.empty()) return SentOutcome::kNotDone;
  std::string names;
  for (const auto& i : unexplained) names += fmt::format("\n  {}: {}", i.name, i.definition);
  throw Failure(Error{
      ErrorCode::kOutcomeUnknown,
      fmt::format("statement {} (an unnamed CREATE INDEX CONCURRENTLY) was sent by a run that "
                  "died; the table gained indexes since, none of which matches its definition "
                  "exactly:{}",
                  statement.index, names),
      fmt::format("if one of them is the index this statement built, run `migrate resolve {} "
                  "--statement {} --done` (drop it first if it is INVALID and use --not-done); "
                  "otherwise --not-done. Name the index in the file so a retry can find it.",
                  session.where.version, statement.index),
      at_statement(session, statement),
      {}});
}

}  // namespace

std::vector<std::string> indexes_before_unnamed_build(Backend& backend,
                                                      const PlannedStatement& statement) {
  if (!statement.autocommit || statement.recovery != OutcomeRecovery::kReadBack) return {};
  PgStatementInfo info = describe_postgres_statement(statement.sql);
  if (!info.concurrent_index ||
      info.concurrent_index->kind != ConcurrentIndexAction::Kind::kCreate ||
      !info.concurrent_index->index_name.empty())
    return {};
  std::vector<std::string> names;
  for (auto& index : indexes_of(backend, qualified(backend, info.node.at("relation"))))
    names.push_back(std::move(index.name));
  return names;
}

SentOutcome read_back_sent_statement(Backend& backend, const PlannedStatement& statement,
                                     const StatementCheckpoint& checkpoint,
                                     const StepSession& session, const ExecPolicy& policy) {
  PgStatementInfo info = describe_postgres_statement(statement.sql);
  using Kind = ConcurrentIndexAction::Kind;
  if (info.concurrent_index && info.concurrent_index->kind == Kind::kCreate) {
    // A named build is checked by the concurrent-index protocol itself before it runs: a valid
    // index of that name is kept, an invalid one is dropped and rebuilt.
    if (!info.concurrent_index->index_name.empty()) return SentOutcome::kNotDone;
    return read_back_unnamed_index(backend, statement, info, checkpoint, session, policy);
  }
  if (info.concurrent_index && info.concurrent_index->kind == Kind::kDrop) {
    const auto& a = *info.concurrent_index;
    std::string name = backend.quote_identifier(a.index_name);
    if (!a.schema.empty()) name = backend.quote_identifier(a.schema) + "." + name;
    auto rows = backend.query("SELECT to_regclass($1) IS NOT NULL", {name});
    if (!rows.empty() && rows[0][0] == "t") return SentOutcome::kNotDone;
    policy.say(LogLevel::kInfo,
               fmt::format("statement {}: index {} is gone: the interrupted run's DROP INDEX "
                           "CONCURRENTLY finished; recorded as done",
                           statement.index, name));
    return SentOutcome::kDone;
  }
  if (info.node_type == "AlterTableStmt") {
    for (const auto& c : info.node.value("cmds", Json::array())) {
      const Json& cmd = c.value("AlterTableCmd", Json::object());
      if (text_of(cmd, "subtype") != "AT_DetachPartition") continue;
      const Json partition_cmd =
          cmd.value("def", Json::object()).value("PartitionCmd", Json::object());
      const std::string parent = qualified(backend, info.node.at("relation"));
      const std::string partition = qualified(backend, partition_cmd.value("name", Json::object()));
      auto rows = backend.query(
          "SELECT i.inhdetachpending::int FROM pg_inherits i "
          "WHERE i.inhrelid = to_regclass($1) AND i.inhparent = to_regclass($2)",
          {partition, parent});
      if (rows.empty()) {
        policy.say(LogLevel::kInfo,
                   fmt::format("statement {}: {} is no longer a partition of {}: the interrupted "
                               "run's DETACH finished; recorded as done",
                               statement.index, partition, parent));
        return SentOutcome::kDone;
      }
      if (rows[0][0] != "1") return SentOutcome::kNotDone;
      policy.say(LogLevel::kWarn,
                 fmt::format("statement {}: the interrupted run's DETACH of {} is pending: "
                             "finishing it with DETACH PARTITION ... FINALIZE",
                             statement.index, partition));
      run_repair_statement(
          backend, to_sql_statement(statement),
          fmt::format("ALTER TABLE {} DETACH PARTITION {} FINALIZE", parent, partition), session);
      return SentOutcome::kDone;
    }
  }
  throw Failure(Error{ErrorCode::kOutcomeUnknown,
                      fmt::format("statement {} was sent by a run that died, and its outcome "
                                  "cannot be read back from the catalog",
                                  statement.index),
                      fmt::format("check whether it took effect, then run `migrate resolve {} "
                                  "--statement {} --done` or `--not-done`",
                                  session.where.version, statement.index),
                      at_statement(session, statement),
                      {}});
}

}  // namespace migrate
