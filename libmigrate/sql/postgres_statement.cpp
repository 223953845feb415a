#include "libmigrate/sql/postgres_statement.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"
#include "libmigrate/sql/postgres_file_parse.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "libmigrate/error/failure.hpp"

namespace migrate {
namespace {

// The rules' tree type (PgStatementInfo::node): the parse is read straight into it, so a
// statement's tree is built once. Fields iterate by name, not in libpg_query's order.
using Json = nlohmann::json;

constexpr const char* kParseHint =
    "correct the SQL at the position shown (checked with the PostgreSQL " PG_MAJORVERSION
    " grammar, as the server would)";

// libpg_query results own C memory; these free it on every path, including a throw.
struct SplitGuard {
  PgQuerySplitResult result;
  ~SplitGuard() { pg_query_free_split_result(result); }
};
struct ParseGuard {
  PgQueryParseResult result;
  ~ParseGuard() { pg_query_free_parse_result(result); }
};

// PostgreSQL reports cursorpos in characters of the database encoding (UTF-8 in libpg_query),
// 1-based, not in bytes: 'é' before the error moves it by one.
std::size_t byte_offset_of_cursor(const std::string& text, int cursorpos) {
  const auto target = static_cast<std::size_t>(std::max(cursorpos, 1) - 1);
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == target) return i;
      ++chars;
    }
  }
  return text.size();
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void refuse_nul(const std::string& sql, const SourceLocation& file) {
  auto nul = sql.find('\0');
  if (nul == std::string::npos) return;
  auto [line, column] = line_and_column(sql, nul);
  fail(ErrorCode::kSourceInvalid, "the SQL contains a NUL byte, which PostgreSQL cannot receive",
       "remove the NUL byte (the file may not be text)",
       {file.file, file.version, 0, line, column});
}

// Index of the statement holding a syntax error at `error_offset`: one more than the complete
// statements before it. Those end at the last ';' before the error that the parser accepts as a
// statement terminator, so try each earlier ';' until a prefix ending there parses with its last
// statement ending at that ';' (a ';' in a string or comment fails one of the two tests).
// Returns 0 when that takes too long to find.
int statement_index_at(const std::string& sql, std::size_t error_offset) {
  constexpr int kMaxAttempts = 200;
  std::size_t pos = std::min(error_offset, sql.size());
  for (int attempt = 0; attempt < kMaxAttempts && pos > 0; ++attempt) {
    auto semi = sql.rfind(';', pos - 1);
    if (semi == std::string::npos) return 1;
    SplitGuard prefix{pg_query_split_with_parser(sql.substr(0, semi + 1).c_str())};
    const auto& r = prefix.result;
    if (r.error == nullptr) {
      if (r.n_stmts == 0) return 1;
      const auto* last = r.stmts[r.n_stmts - 1];
      if (static_cast<std::size_t>(last->stmt_location + last->stmt_len) == semi) {
        return r.n_stmts + 1;
      }
    }
    pos = semi;
  }
  return pos == 0 ? 1 : 0;
}

// ---- reading the parse tree ----

bool flag(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

std::string text(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& child(const Json& node, const char* key) {
  static const Json kNull;
  auto it = node.find(key);
  return it == node.end() ? kNull : *it;
}

// The items of a {"List": {"items": [{"String": {"sval": ...}}, ...]}} name list.
std::vector<std::string> name_list(const Json& list) {
  std::vector<std::string> out;
  const Json& items = child(child(list, "List"), "items");
  if (!items.is_array()) return out;
  for (const auto& item : items) out.push_back(text(child(item, "String"), "sval"));
  return out;
}

std::string join(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < parts.size(); ++i) {
    if (i > 0) out += '.';
    out += parts[i];
  }
  return out;
}

std::string qualified(const Json& range_var) {
  std::string out;
  for (const char* key : {"catalogname", "schemaname"}) {
    auto part = text(range_var, key);
    if (!part.empty()) out += part + '.';
  }
  return out + text(range_var, "relname");
}

// DefElem options are lists of {"DefElem": {"defname": ..., "arg": ...}}.
const Json* find_option(const Json& options, std::string_view name) {
  if (!options.is_array()) return nullptr;
  for (const auto& option : options) {
    const Json& def = child(option, "DefElem");
    if (text(def, "defname") == name) return &def;
  }
  return nullptr;
}

// defGetBoolean: no argument means true; 0/1; true/false/on/off in any case. libpg_query omits
// false and 0 values from the JSON, so an empty Boolean or Integer node is false. Returns nullopt
// for anything else (the server would reject it).
std::optional<bool> option_bool(const Json& def) {
  auto arg = def.find("arg");
  if (arg == def.end()) return true;
  if (arg->contains("Boolean")) return flag((*arg)["Boolean"], "boolval");
  if (arg->contains("Integer")) {
    const Json& i = (*arg)["Integer"];
    auto v = i.contains("ival") ? i["ival"].get<long long>() : 0;
    if (v == 0 || v == 1) return v == 1;
    return std::nullopt;
  }
  std::string s;
  if (arg->contains("TypeName")) {
    // An unquoted word such as off arrives as a type name; defGetString spells it back.
    const Json& names = child(child(*arg, "TypeName"), "names");
    if (names.is_array()) {
      for (const auto& n : names) {
        if (!s.empty()) s += '.';
        s += text(child(n, "String"), "sval");
      }
    }
  } else {
    s = text(child(*arg, "String"), "sval");
  }
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "true" || s == "on") return true;
  if (s == "false" || s == "off") return false;
  return std::nullopt;
}

// The value of a boolean option, or `fallback` when absent or unreadable.
bool bool_option(const Json& options, std::string_view name, bool fallback) {
  const Json* def = find_option(options, name);
  if (def == nullptr) return fallback;
  return option_bool(*def).value_or(fallback);
}

// ---- relations ----

struct FoundRelation {
  long long location;  // byte offset in the statement; -1 when the parser has none
  std::string name;
};

// Every RangeVar: wrapped as {"RangeVar": {...}} inside node lists, bare (an object with
// "relname") in typed fields such as IndexStmt.relation. CTE names are collected to skip
// references to them.
void walk(const Json& j, std::vector<FoundRelation>& found, std::set<std::string>& ctes) {
  if (j.is_array()) {
    for (const auto& e : j) walk(e, found, ctes);
    return;
  }
  if (!j.is_object()) return;
  if (auto rel = j.find("relname"); rel != j.end() && rel->is_string()) {
    auto loc = j.find("location");
    // JSON omits a zero location: the relation then starts the statement.
    long long location = loc != j.end() && loc->is_number() ? loc->get<long long>() : 0;
    found.push_back({location, qualified(j)});
    return;
  }
  if (auto cte = j.find("ctename"); cte != j.end() && cte->is_string()) {
    ctes.insert(cte->get<std::string>());
  }
  for (const auto& [key, value] : j.items()) walk(value, found, ctes);
}

bool is_relation_object(const std::string& type) {
  static const std::set<std::string> kTypes{"OBJECT_TABLE",    "OBJECT_INDEX",
                                            "OBJECT_VIEW",     "OBJECT_MATVIEW",
                                            "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE"};
  return kTypes.count(type) > 0;
}

// Objects named "table.object": DROP TRIGGER t ON tbl is the list [tbl..., t].
bool is_table_child_object(const std::string& type) {
  return type == "OBJECT_TRIGGER" || type == "OBJECT_RULE" || type == "OBJECT_POLICY";
}

std::vector<std::string> relations_of(const std::string& node_type, const Json& node) {
  std::vector<FoundRelation> found;
  std::set<std::string> ctes;
  walk(node, found, ctes);
  // Source order; RangeVars the parser made up (location -1) go last.
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    auto key = [](long long l) { return l < 0 ? std::numeric_limits<long long>::max() : l; };
    return key(a.location) < key(b.location);
  });
  if (node_type == "DropStmt") {
    auto type = text(node, "removeType");
    const Json& objects = child(node, "objects");
    if (objects.is_array() && (is_relation_object(type) || is_table_child_object(type))) {
      for (const auto& object : objects) {
        auto parts = name_list(object);
        if (parts.empty()) continue;
        auto count = is_table_child_object(type) ? parts.size() - 1 : parts.size();
        if (count > 0) found.push_back({-1, join(parts, count)});
      }
    }
  }
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& r : found) {
    if (r.name.find('.') == std::string::npos && ctes.count(r.name) > 0) continue;
    if (seen.insert(r.name).second) out.push_back(r.name);
  }
  return out;
}

// ---- transaction blocks ----
// PostgreSQL 15 calls PreventInTransactionBlock for exactly these (utility.c, indexcmds.c,
// vacuum.c, cluster.c, dbcommands.c, discard.c, subscriptioncmds.c); the reason strings are the
// command names it puts in "... cannot run inside a transaction block". Not visible in the parse
// tree, so left transactional: CLUSTER of a partitioned table (refused like CLUSTER without a
// table), and CALL/DO of code that itself commits.
std::string non_transactional_reason(const std::string& type, const Json& node) {
  if (type == "IndexStmt" && flag(node, "concurrent")) return "CREATE INDEX CONCURRENTLY";
  if (type == "DropStmt" && flag(node, "concurrent") &&
      text(node, "removeType") == "OBJECT_INDEX") {
    return "DROP INDEX CONCURRENTLY";
  }
  if (type == "ReindexStmt") {
    // ExecReindex checks CONCURRENTLY first, then the multi-table kinds.
    if (bool_option(child(node, "params"), "concurrently", false)) return "REINDEX CONCURRENTLY";
    auto kind = text(node, "kind");
    if (kind == "REINDEX_OBJECT_SCHEMA") return "REINDEX SCHEMA";
    if (kind == "REINDEX_OBJECT_SYSTEM") return "REINDEX SYSTEM";
    if (kind == "REINDEX_OBJECT_DATABASE") return "REINDEX DATABASE";
    return {};
  }
  if (type == "AlterTableStmt") {
    const Json& cmds = child(node, "cmds");
    if (cmds.is_array()) {
      for (const auto& c : cmds) {
        const Json& cmd = child(c, "AlterTableCmd");
        if (text(cmd, "subtype") == "AT_DetachPartition" &&
            flag(child(child(cmd, "def"), "PartitionCmd"), "concurrent")) {
          return "ALTER TABLE ... DETACH CONCURRENTLY";
        }
      }
    }
    return {};
  }
  // ANALYZE alone has is_vacuumcmd false and runs in a transaction.
  if (type == "VacuumStmt" && flag(node, "is_vacuumcmd")) return "VACUUM";
  if (type == "ClusterStmt" && !node.contains("relation")) return "CLUSTER";
  if (type == "AlterSystemStmt") return "ALTER SYSTEM";
  if (type == "CreatedbStmt") return "CREATE DATABASE";
  if (type == "DropdbStmt") return "DROP DATABASE";
  // SET TABLESPACE and the equivalent WITH TABLESPACE both arrive as a "tablespace" option.
  if (type == "AlterDatabaseStmt" && find_option(child(node, "options"), "tablespace") != nullptr) {
    return "ALTER DATABASE SET TABLESPACE";
  }
  if (type == "CreateTableSpaceStmt") return "CREATE TABLESPACE";
  if (type == "DropTableSpaceStmt") return "DROP TABLESPACE";
  if (type == "CreateSubscriptionStmt") {
    // create_slot defaults to true, and to false with connect = false.
    const Json& options = child(node, "options");
    bool connect = bool_option(options, "connect", true);
    if (bool_option(options, "create_slot", connect)) {
      return "CREATE SUBSCRIPTION ... WITH (create_slot = true)";
    }
    return {};
  }
  // Refused only when the subscription has a replication slot, which is in the catalog, not the
  // text. Every subscription has one unless ALTER SUBSCRIPTION ... SET (slot_name = NONE) ran
  // first, so assume it does.
  if (type == "DropSubscriptionStmt") return "DROP SUBSCRIPTION";
  if (type == "AlterSubscriptionStmt") {
    auto kind = text(node, "kind");
    if (kind == "ALTER_SUBSCRIPTION_REFRESH") return "ALTER SUBSCRIPTION ... REFRESH";
    // SET/ADD/DROP PUBLICATION refresh by default; WITH (refresh = false) stays transactional.
    if ((kind == "ALTER_SUBSCRIPTION_SET_PUBLICATION" ||
         kind == "ALTER_SUBSCRIPTION_ADD_PUBLICATION" ||
         kind == "ALTER_SUBSCRIPTION_DROP_PUBLICATION") &&
        bool_option(child(node, "options"), "refresh", true)) {
      return "ALTER SUBSCRIPTION with refresh";
    }
    return {};
  }
  if (type == "DiscardStmt" && text(node, "target") == "DISCARD_ALL") return "DISCARD ALL";
  if (type == "TransactionStmt") {
    auto kind = text(node, "kind");
    if (kind == "TRANS_STMT_COMMIT_PREPARED") return "COMMIT PREPARED";
    if (kind == "TRANS_STMT_ROLLBACK_PREPARED") return "ROLLBACK PREPARED";
  }
  return {};
}

// ---- relation locks ----

bool takes_relation_lock(const std::string& type, const Json& node, bool names_relations) {
  // DML, DDL on relations, maintenance, and code whose effect is unknown here (DO, CALL,
  // EXECUTE, extension scripts, which may lock anything). COMMENT and SECURITY LABEL lock their
  // object (ShareUpdateExclusiveLock for relations). ALTER DOMAIN may check every column of the
  // domain. CREATE TABLE may lock referenced, parent and LIKE tables.
  static const std::set<std::string> kAlways{"InsertStmt",
                                             "UpdateStmt",
                                             "DeleteStmt",
                                             "MergeStmt",
                                             "CopyStmt",
                                             "LockStmt",
                                             "TruncateStmt",
                                             "VacuumStmt",
                                             "ClusterStmt",
                                             "ReindexStmt",
                                             "RefreshMatViewStmt",
                                             "CreateStmt",
                                             "CreateForeignTableStmt",
                                             "CreateTableAsStmt",
                                             "ViewStmt",
                                             "IndexStmt",
                                             "AlterTableStmt",
                                             "AlterTableMoveAllStmt",
                                             "CreateTrigStmt",
                                             "CreatePolicyStmt",
                                             "AlterPolicyStmt",
                                             "RuleStmt",
                                             "CreateSeqStmt",
                                             "AlterSeqStmt",
                                             "CreateStatsStmt",
                                             "AlterStatsStmt",
                                             "CommentStmt",
                                             "SecLabelStmt",
                                             "DoStmt",
                                             "CallStmt",
                                             "ExecuteStmt",
                                             "CreateExtensionStmt",
                                             "AlterExtensionStmt",
                                             "AlterExtensionContentsStmt",
                                             "AlterDomainStmt",
                                             "DropOwnedStmt",
                                             "ReassignOwnedStmt"};
  // Settings, transaction control, and objects that are not relations, even when they mention
  // one (a CREATE FUNCTION ... BEGIN ATOMIC body, a composite type's RangeVar).
  static const std::set<std::string> kNever{
      "VariableSetStmt",  "VariableShowStmt",  "TransactionStmt", "CreateFunctionStmt",
      "DefineStmt",       "CompositeTypeStmt", "CreateEnumStmt",  "AlterEnumStmt",
      "CreateDomainStmt", "CreateRangeStmt"};
  if (kAlways.count(type) > 0) return true;
  if (kNever.count(type) > 0) return false;
  if (type == "DropStmt") {
    // Dropping an extension drops its tables; CASCADE may reach tables through dependencies.
    auto remove = text(node, "removeType");
    return is_relation_object(remove) || is_table_child_object(remove) ||
           remove == "OBJECT_EXTENSION" || text(node, "behavior") == "DROP_CASCADE";
  }
  // Everything else waits for a lock exactly when it names a relation: SELECT, EXPLAIN, PREPARE
  // and DECLARE take AccessShareLock on what they read, RENAME and SET SCHEMA of relations,
  // GRANT ON TABLE, CREATE PUBLICATION FOR TABLE. Catalog-only commands name none.
  return names_relations;
}

// The commands above whose effect the catalog shows, and those that may simply run again.
OutcomeRecovery recovery_of(const std::string& reason) {
  if (reason == "CREATE INDEX CONCURRENTLY" || reason == "DROP INDEX CONCURRENTLY" ||
      reason == "ALTER TABLE ... DETACH CONCURRENTLY")
    return OutcomeRecovery::kReadBack;
  if (reason.starts_with("REINDEX") || reason == "VACUUM" || reason == "CLUSTER" ||
      reason == "ALTER SYSTEM")
    return OutcomeRecovery::kRerun;
  return OutcomeRecovery::kUnknown;
}

std::optional<ConcurrentIndexAction> concurrent_index_of(const std::string& type,
                                                         const Json& node) {
  using Kind = ConcurrentIndexAction::Kind;
  if (type == "IndexStmt" && flag(node, "concurrent")) {
    const Json& rel = child(node, "relation");
    ConcurrentIndexAction a;
    a.kind = Kind::kCreate;
    a.table_schema = text(rel, "schemaname");
    a.schema = a.table_schema;
    a.table = text(rel, "relname");
    a.index_name = text(node, "idxname");
    a.if_not_exists = flag(node, "if_not_exists");
    return a;
  }
  if (type == "DropStmt" && flag(node, "concurrent") &&
      text(node, "removeType") == "OBJECT_INDEX") {
    // PostgreSQL refuses more than one index with CONCURRENTLY; describe the first.
    const Json& objects = child(node, "objects");
    if (!objects.is_array() || objects.empty()) return std::nullopt;
    auto parts = name_list(objects.front());
    if (parts.empty()) return std::nullopt;
    ConcurrentIndexAction a;
    a.kind = Kind::kDrop;
    a.index_name = parts.back();
    if (parts.size() >= 2) a.schema = parts[parts.size() - 2];
    a.if_exists = flag(node, "missing_ok");
    return a;
  }
  if (type == "ReindexStmt" && bool_option(child(node, "params"), "concurrently", false)) {
    // Only a single index or table has one relation to name; SCHEMA/DATABASE/SYSTEM do not.
    const Json& rel = child(node, "relation");
    auto kind = text(node, "kind");
    ConcurrentIndexAction a;
    a.kind = Kind::kReindex;
    if (kind == "REINDEX_OBJECT_INDEX") {
      a.schema = text(rel, "schemaname");
      a.index_name = text(rel, "relname");
      return a;
    }
    if (kind == "REINDEX_OBJECT_TABLE") {
      a.table_schema = text(rel, "schemaname");
      a.table = text(rel, "relname");
      return a;
    }
  }
  return std::nullopt;
}

// The extent [begin, end) in `sql` of the statement a RawStmt covers (stmt_location, stmt_len,
// with `input_end` the end of the text the parser read): from its first significant character
// (leading whitespace and comments skipped) through its terminating ';', or, without one, to
// the end of the input minus trailing whitespace. Nullopt for an empty statement.
std::optional<std::pair<std::size_t, std::size_t>> statement_extent(const std::string& sql,
                                                                    std::size_t location,
                                                                    std::size_t length,
                                                                    std::size_t input_end) {
  auto begin = std::min(location, input_end);
  // A zero length means "to the end of the input" in PostgreSQL's RawStmt.
  auto end = length == 0 ? input_end : std::min(begin + length, input_end);
  begin = skip_sql_trivia(sql, begin, end, BlockComments::kNested);
  if (begin == end) return std::nullopt;
  if (end < sql.size() && sql[end] == ';') {
    ++end;  // the terminator belongs to the statement
  } else {
    while (end > begin && is_space(sql[end - 1])) --end;
  }
  return std::pair{begin, end};
}

// Makes every "location" of a parse node relative to the statement's first character (`base` in
// the parsed text), as a parse of the statement alone gives it: one that becomes 0 is removed, as
// libpg_query leaves out zero values; -1 ("unknown") stays.
void relativize_locations(Json& node, long long base) {
  if (node.is_array()) {
    for (auto& item : node) relativize_locations(item, base);
    return;
  }
  if (!node.is_object()) return;
  auto& fields = node.get_ref<Json::object_t&>();
  for (auto it = fields.begin(); it != fields.end();) {
    if (it->first == "location" && it->second.is_number_integer()) {
      const auto location = it->second.get<long long>();
      if (location >= 0) {
        if (location == base) {
          it = fields.erase(it);
          continue;
        }
        it->second = static_cast<std::uint64_t>(location - base);
      }
    } else {
      relativize_locations(it->second, base);
    }
    ++it;
  }
}

// What the parser says of one statement, from its {"stmt": {<type>: node}, ...} entry of a
// parse tree whose locations count from `base` bytes before the statement's first character.
// Consumes the node.
PgStatementInfo describe_raw_statement(Json& raw, long long base) {
  Json& wrapper = raw["stmt"];
  if (!wrapper.is_object() || wrapper.empty()) {
    fail(ErrorCode::kInternal, "the PostgreSQL parse tree has an unexpected shape");
  }
  PgStatementInfo info;
  info.node_type = wrapper.begin().key();
  Json& node = wrapper.begin().value();
  info.non_transactional_reason = non_transactional_reason(info.node_type, node);
  info.can_run_in_transaction = info.non_transactional_reason.empty();
  info.recovery = recovery_of(info.non_transactional_reason);
  // Relations are ordered by location; a shift of every location by `base` keeps that order.
  info.relations = relations_of(info.node_type, node);
  info.takes_relation_lock = takes_relation_lock(info.node_type, node, !info.relations.empty());
  info.concurrent_index = concurrent_index_of(info.node_type, node);
  // SET TRANSACTION (and SET SESSION CHARACTERISTICS AS TRANSACTION) parse as settings, but they
  // change the transactions libmigrate opens: refused with BEGIN and COMMIT.
  const std::string set_name =
      info.node_type == "VariableSetStmt" && node.contains("name") && node["name"].is_string()
          ? node["name"].get<std::string>()
          : std::string();
  info.is_transaction_control = info.node_type == "TransactionStmt" || set_name == "TRANSACTION" ||
                                set_name == "SESSION CHARACTERISTICS";
  if (base != 0) relativize_locations(node, base);
  info.node = std::move(node);
  return info;
}

}  // namespace

std::vector<SqlStatement> split_postgres_statements(const std::string& sql,
                                                    const SourceLocation& file) {
  refuse_nul(sql, file);
  const std::string parsed = with_postgres_batch_parameters(sql);
  SplitGuard split{pg_query_split_with_parser(parsed.c_str())};
  if (const PgQueryError* e = split.result.error) {
    std::size_t offset = e->cursorpos > 0 ? byte_offset_of_cursor(sql, e->cursorpos) : 0;
    int index = e->cursorpos > 0 ? statement_index_at(sql, offset) : 0;
    auto [line, column] = e->cursorpos > 0 ? line_and_column(sql, offset) : std::pair{0, 0};
    std::string what = index > 0 ? fmt::format("statement {}", index) : std::string("the SQL");
    fail(ErrorCode::kSourceInvalid,
         fmt::format("{} does not parse as PostgreSQL: {}", what, e->message), kParseHint,
         {file.file, file.version, index, line, column});
  }

  std::vector<SqlStatement> out;
  out.reserve(static_cast<std::size_t>(split.result.n_stmts));
  LineColumnCursor position(sql);  // statements come in file order: one pass for all positions
  for (int i = 0; i < split.result.n_stmts; ++i) {
    const auto* s = split.result.stmts[i];
    auto extent = statement_extent(sql, static_cast<std::size_t>(s->stmt_location),
                                   static_cast<std::size_t>(s->stmt_len), sql.size());
    if (!extent) continue;
    auto [line, column] = position.at(extent->first);
    out.push_back(SqlStatement{static_cast<int>(out.size()) + 1, extent->first, line, column,
                               sql.substr(extent->first, extent->second - extent->first)});
  }
  return out;
}

PgStatementInfo describe_postgres_statement(const std::string& statement_sql) {
  refuse_nul(statement_sql, {});
  ParseGuard parsed{pg_query_parse(with_postgres_batch_parameters(statement_sql).c_str())};
  if (const PgQueryError* e = parsed.result.error) {
    auto [line, column] =
        e->cursorpos > 0
            ? line_and_column(statement_sql, byte_offset_of_cursor(statement_sql, e->cursorpos))
            : std::pair{0, 0};
    fail(ErrorCode::kSourceInvalid,
         fmt::format("the statement does not parse as PostgreSQL: {}", e->message), kParseHint,
         {{}, {}, 0, line, column});
  }

  Json tree;
  try {
    tree = Json::parse(std::string_view(parsed.result.parse_tree));
  } catch (const nlohmann::json::parse_error&) {
    // The parser passes bytes through; the JSON reader insists on UTF-8, as the server does.
    fail(ErrorCode::kSourceInvalid, "the statement is not valid UTF-8",
         "save the migration file as UTF-8");
  }
  Json& stmts = tree.is_object() ? tree["stmts"] : tree;
  if (!stmts.is_array() || stmts.size() != 1) {
    fail(ErrorCode::kInternal,
         fmt::format("describe_postgres_statement expects one statement, got {}",
                     stmts.is_array() ? stmts.size() : 0),
         "pass the statements that split_postgres_statements returns, one at a time");
  }
  return describe_raw_statement(stmts.front(), 0);
}

namespace {

// describe_postgres_statement for a statement of a file: errors point into the file.
PgStatementInfo describe_file_statement(const SqlStatement& s, const SourceLocation& file) {
  try {
    return describe_postgres_statement(s.sql);
  } catch (const Failure& f) {
    Error e = f.error();
    e.where.file = file.file;
    e.where.version = file.version;
    e.where.statement = s.index;
    if (e.where.line > 0) {
      e.where.column = e.where.line == 1 ? s.column + e.where.column - 1 : e.where.column;
      e.where.line = s.line + e.where.line - 1;
    }
    throw Failure(e);
  }
}

// The parse tree of [begin, end) of `sql`, or nullopt when it does not parse or is not UTF-8
// (the caller then takes the statement-by-statement path, which says where and why).
std::optional<Json> parse_tree_of(const std::string& sql, std::size_t begin, std::size_t end) {
  // pg_query_parse reads a NUL-terminated string: the whole file needs no copy.
  std::string copy;
  const char* text = sql.c_str();
  if (begin != 0 || end != sql.size()) {
    copy = sql.substr(begin, end - begin);
    text = copy.c_str();
  }
  // A backfill's :batch_start / :batch_end parse as the parameters they are bound as.
  if (std::string_view(text).find(":batch_") != std::string_view::npos) {
    copy = with_postgres_batch_parameters(text);
    text = copy.c_str();
  }
  ParseGuard parsed{pg_query_parse(text)};
  if (parsed.result.error != nullptr) return std::nullopt;
  try {
    return Json::parse(std::string_view(parsed.result.parse_tree));
  } catch (const nlohmann::json::parse_error&) {
    return std::nullopt;
  }
}

std::size_t size_field(const Json& raw, const char* key) {
  auto it = raw.find(key);
  return it != raw.end() && it->is_number_unsigned() ? it->get<std::size_t>() : 0;
}

// Files up to this size are parsed in one piece; larger ones in pieces of whole statements of
// about this size, so the parse tree in memory stays bounded (a 50 MB file of INSERTs).
constexpr std::size_t kParseBatchBytes = std::size_t{1} << 20;

}  // namespace

void for_each_postgres_statement(
    const std::string& sql, const SourceLocation& file,
    const std::function<void(SqlStatement&&, PgStatementInfo&&)>& visit) {
  refuse_nul(sql, file);
  if (sql.size() <= kParseBatchBytes) {
    if (auto tree = parse_tree_of(sql, 0, sql.size())) {
      Json* stmts = tree->is_object() ? &(*tree)["stmts"] : nullptr;
      if (stmts != nullptr && (stmts->is_array() || stmts->is_null())) {
        LineColumnCursor position(sql);
        int index = 0;
        if (stmts->is_array()) {
          for (auto& raw : *stmts) {
            auto extent = statement_extent(sql, size_field(raw, "stmt_location"),
                                           size_field(raw, "stmt_len"), sql.size());
            if (!extent) continue;
            auto [line, column] = position.at(extent->first);
            SqlStatement s{++index, extent->first, line, column,
                           sql.substr(extent->first, extent->second - extent->first)};
            PgStatementInfo info =
                describe_raw_statement(raw, static_cast<long long>(extent->first));
            visit(std::move(s), std::move(info));
          }
        }
        return;
      }
    }
    // A syntax error or bytes that are not UTF-8: the split and the parse of each statement
    // report it as they always have (file, statement, line and column).
  }
  std::vector<SqlStatement> statements = split_postgres_statements(sql, file);
  std::size_t first = 0;
  while (first < statements.size()) {
    // A batch: statements first..last-1, at most kParseBatchBytes of text unless one alone is
    // larger.
    const std::size_t batch_begin = statements[first].offset;
    std::size_t last = first + 1;
    while (last < statements.size() &&
           statements[last].offset + statements[last].sql.size() - batch_begin <= kParseBatchBytes)
      ++last;
    const std::size_t batch_end = statements[last - 1].offset + statements[last - 1].sql.size();
    auto tree = parse_tree_of(sql, batch_begin, batch_end);
    Json* stmts = tree && tree->is_object() ? &(*tree)["stmts"] : nullptr;
    if (stmts != nullptr && stmts->is_array() && stmts->size() == last - first) {
      for (std::size_t i = first; i < last; ++i) {
        Json& raw = (*stmts)[i - first];
        // The batch starts at a statement's first character: the statement begins at its
        // stmt_location unless comments precede it.
        auto extent = statement_extent(sql, batch_begin + size_field(raw, "stmt_location"),
                                       size_field(raw, "stmt_len"), batch_end);
        SqlStatement& s = statements[i];
        if (!extent || extent->first != s.offset) {
          PgStatementInfo info = describe_file_statement(s, file);
          visit(std::move(s), std::move(info));
          continue;
        }
        PgStatementInfo info =
            describe_raw_statement(raw, static_cast<long long>(s.offset - batch_begin));
        visit(std::move(s), std::move(info));
      }
    } else {
      for (std::size_t i = first; i < last; ++i) {
        PgStatementInfo info = describe_file_statement(statements[i], file);
        visit(std::move(statements[i]), std::move(info));
      }
    }
    first = last;
  }
}

}  // namespace migrate
