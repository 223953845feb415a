// What one SQLite statement does, from what SQLite reported: its primary action (the authorizer's
// actions, and for ALTER TABLE the schema before and after, since the authorizer only says
// SQLITE_ALTER_TABLE), then its class, locks, rewrite and scan. The rules add findings on top.
#include "libmigrate/analysis/sqlite_statement_effects.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "libmigrate/analysis/sqlite_analysis_context.hpp"
#include "libmigrate/analysis/sqlite_schema_snapshot.hpp"

namespace migrate {

std::vector<std::string> sqlite_leading_tokens(const std::string& sql, std::size_t max) {
  std::vector<std::string> out;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n && out.size() < max) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      auto end = sql.find("*/", i + 2);
      i = end == std::string::npos ? n : end + 2;
    } else if (c == '"' || c == '`' || c == '[' || c == '\'') {
      const char close = c == '[' ? ']' : c;
      std::string tok;
      ++i;
      while (i < n) {
        if (sql[i] == close) {
          if (close != ']' && i + 1 < n && sql[i + 1] == close) {
            tok += close;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        tok += sql[i++];
      }
      out.push_back(c == '\'' ? "'" + tok + "'" : tok);
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
               static_cast<unsigned char>(c) >= 0x80) {
      std::string tok;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' ||
                       sql[i] == '$' || static_cast<unsigned char>(sql[i]) >= 0x80))
        tok += sql[i++];
      out.push_back(tok);
    } else {
      out.push_back(std::string(1, c));
      ++i;
    }
  }
  return out;
}

std::string sqlite_upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_sqlite_internal_name(std::string_view name) {
  const std::string l = sqlite_lower(name);
  return l.starts_with("sqlite_") || l.starts_with("pragma_");
}

int collect_sqlite_action(void* user, int code, const char* a1, const char* a2, const char* a3,
                          const char* source) {
  static_cast<std::vector<SqliteAction>*>(user)->push_back(
      {code, a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "", source ? source : ""});
  return SQLITE_OK;
}

std::string sqlite_missing_object(const std::string& error) {
  for (const char* prefix :
       {"no such table: ", "no such index: ", "no such view: ", "no such trigger: "}) {
    if (error.starts_with(prefix)) {
      std::string name = error.substr(std::string_view(prefix).size());
      for (const char* schema : {"main.", "temp."})
        if (sqlite_lower(name).starts_with(schema)) name = name.substr(5);
      return name;
    }
  }
  return {};
}

std::pair<std::string, std::string> sqlite_broken_dependent(const std::string& error) {
  static const std::regex kBroken(
      R"(^error in (view|trigger) (.+?)( after [a-z ]+)?: no such table: (.+)$)");
  std::smatch m;
  if (!std::regex_match(error, m, kBroken)) return {};
  return {m[2], sqlite_missing_object("no such table: " + m[4].str())};
}

namespace {

// ALTER TABLE [schema.]name: the name, from the leading tokens.
std::string altered_table_from_text(const std::vector<std::string>& t) {
  if (t.size() < 3 || sqlite_upper(t[0]) != "ALTER" || sqlite_upper(t[1]) != "TABLE") return {};
  if (t.size() >= 5 && t[3] == ".") return t[4];
  return t[2];
}

bool is_dml(int code) {
  return code == SQLITE_INSERT || code == SQLITE_UPDATE || code == SQLITE_DELETE;
}

const char* ddl_kind(int code) {
  switch (code) {
    case SQLITE_CREATE_INDEX:
      return "CREATE INDEX";
    case SQLITE_CREATE_TABLE:
      return "CREATE TABLE";
    case SQLITE_CREATE_TEMP_INDEX:
      return "CREATE TEMP INDEX";
    case SQLITE_CREATE_TEMP_TABLE:
      return "CREATE TEMP TABLE";
    case SQLITE_CREATE_TEMP_TRIGGER:
      return "CREATE TEMP TRIGGER";
    case SQLITE_CREATE_TEMP_VIEW:
      return "CREATE TEMP VIEW";
    case SQLITE_CREATE_TRIGGER:
      return "CREATE TRIGGER";
    case SQLITE_CREATE_VIEW:
      return "CREATE VIEW";
    case SQLITE_DROP_INDEX:
      return "DROP INDEX";
    case SQLITE_DROP_TABLE:
      return "DROP TABLE";
    case SQLITE_DROP_TEMP_INDEX:
      return "DROP TEMP INDEX";
    case SQLITE_DROP_TEMP_TABLE:
      return "DROP TEMP TABLE";
    case SQLITE_DROP_TEMP_TRIGGER:
      return "DROP TEMP TRIGGER";
    case SQLITE_DROP_TEMP_VIEW:
      return "DROP TEMP VIEW";
    case SQLITE_DROP_TRIGGER:
      return "DROP TRIGGER";
    case SQLITE_DROP_VIEW:
      return "DROP VIEW";
    case SQLITE_ALTER_TABLE:
      return "ALTER TABLE";
    case SQLITE_CREATE_VTABLE:
      return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_VTABLE:
      return "DROP VIRTUAL TABLE";
    case SQLITE_INSERT:
      return "INSERT";
    case SQLITE_UPDATE:
      return "UPDATE";
    case SQLITE_DELETE:
      return "DELETE";
    default:
      return "";
  }
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

SqliteDescription describe_sqlite_statement(const SqliteExecution& e, const std::string& sql,
                                            const SqliteSchema& before, const SqliteSchema& after) {
  SqliteDescription d;
  const SqliteAction* primary = nullptr;
  for (const auto& a : e.actions)
    if (a.code == SQLITE_ALTER_TABLE) primary = &a;
  if (!primary) {
    for (const auto& a : e.actions) {
      if (!is_sqlite_ddl(a.code) || is_sqlite_internal_name(a.arg1)) continue;
      if ((a.code == SQLITE_CREATE_INDEX || a.code == SQLITE_CREATE_TEMP_INDEX) &&
          is_sqlite_internal_name(a.arg2))
        continue;
      primary = &a;
      break;
    }
  }
  if (!primary) {
    for (const auto& a : e.actions) {
      if (is_dml(a.code) && a.source.empty() && !is_sqlite_internal_name(a.arg1)) {
        primary = &a;
        break;
      }
    }
  }
  for (const auto& a : e.actions) {
    if (is_dml(a.code) && !is_sqlite_internal_name(a.arg1))
      add_unique(d.written_tables, sqlite_lower(a.arg1));
  }
  const auto tokens = sqlite_leading_tokens(sql, 6);
  if (primary) {
    d.action = ddl_kind(primary->code);
    switch (primary->code) {
      case SQLITE_CREATE_INDEX:
      case SQLITE_CREATE_TEMP_INDEX:
      case SQLITE_DROP_INDEX:
      case SQLITE_DROP_TEMP_INDEX:
      case SQLITE_CREATE_TRIGGER:
      case SQLITE_CREATE_TEMP_TRIGGER:
      case SQLITE_DROP_TRIGGER:
      case SQLITE_DROP_TEMP_TRIGGER:
        d.table = primary->arg2;
        d.new_name = primary->arg1;  // the index or trigger
        break;
      case SQLITE_ALTER_TABLE:
        d.table = primary->arg2;
        break;
      default:
        d.table = primary->arg1;
        break;
    }
    if (primary->code == SQLITE_ALTER_TABLE) {
      const SqliteTable* was = before.table(d.table);
      const SqliteTable* now = after.table(d.table);
      if (!primary->arg3.empty()) {
        d.action = "ALTER TABLE DROP COLUMN";
        d.column = primary->arg3;
      } else if (was && !now) {
        d.action = "ALTER TABLE RENAME TO";
        for (const auto& k : after.tables_changed_since(before))
          if (const SqliteTable* t = after.table(k); t && !before.table(k)) d.new_name = t->name;
      } else if (was && now && now->columns.size() > was->columns.size()) {
        d.action = "ALTER TABLE ADD COLUMN";
        for (const auto& c : now->columns)
          if (!was->column(c.name)) d.column = c.name;
      } else if (was && now && now->columns.size() == was->columns.size()) {
        for (std::size_t i = 0; i < was->columns.size(); ++i) {
          if (sqlite_lower(was->columns[i].name) != sqlite_lower(now->columns[i].name)) {
            d.action = "ALTER TABLE RENAME COLUMN";
            d.column = was->columns[i].name;
            d.new_name = now->columns[i].name;
          }
        }
        // Unchanged: failed (or renamed to the same name); tell ADD COLUMN failures apart.
        if (d.action == "ALTER TABLE" && sqlite_lower(e.error).starts_with("cannot add"))
          d.action = "ALTER TABLE ADD COLUMN";
        if (d.action == "ALTER TABLE" && !e.error.empty() &&
            (e.error.find("constraint failed") != std::string::npos ||
             e.error.find("type mismatch on DEFAULT") != std::string::npos))
          d.action = "ALTER TABLE ADD COLUMN";
      }
    } else if (primary->code == SQLITE_CREATE_INDEX) {
      const SqliteObject* idx = after.object(primary->arg1);
      if (idx && sqlite_upper(idx->sql).starts_with("CREATE UNIQUE"))
        d.action = "CREATE UNIQUE INDEX";
    }
  } else {
    // Nothing authorized: SQLite refused the statement early, or it has no authorizer action
    // (VACUUM, DROP ... IF EXISTS of something absent). Name it from its leading keywords.
    const std::string first = tokens.empty() ? std::string() : sqlite_upper(tokens[0]);
    for (const auto& a : e.actions) {
      if (a.code == SQLITE_PRAGMA) d.action = "PRAGMA " + sqlite_lower(a.arg1);
      if (a.code == SQLITE_TRANSACTION) d.action = sqlite_upper(a.arg1);
      if (a.code == SQLITE_SAVEPOINT)
        d.action =
            a.arg1 == "BEGIN" ? "SAVEPOINT" : (a.arg1 == "RELEASE" ? "RELEASE" : "ROLLBACK TO");
      if (a.code == SQLITE_ANALYZE) d.action = "ANALYZE";
      if (a.code == SQLITE_REINDEX) d.action = "REINDEX";
      if (a.code == SQLITE_ATTACH) d.action = "ATTACH";
      if (a.code == SQLITE_DETACH) d.action = "DETACH";
      if (!d.action.empty()) break;
    }
    if (d.action.empty() && first == "ALTER") {
      d.table = altered_table_from_text(tokens);
      const std::string err = sqlite_lower(e.error);
      d.action = err.starts_with("cannot drop")  ? "ALTER TABLE DROP COLUMN"
                 : err.starts_with("cannot add") ? "ALTER TABLE ADD COLUMN"
                                                 : "ALTER TABLE";
      if (d.action == "ALTER TABLE DROP COLUMN") {
        auto q = e.error.find('"');
        auto q2 = q == std::string::npos ? q : e.error.find('"', q + 1);
        if (q2 != std::string::npos) d.column = e.error.substr(q + 1, q2 - q - 1);
      }
    }
    if (d.action.empty() && (first == "DROP" || first == "CREATE") && tokens.size() >= 2)
      d.action = first + " " + sqlite_upper(tokens[1]);
    if (d.action.empty() && first == "VACUUM") d.action = "VACUUM";
    if (d.action.empty() && std::any_of(e.actions.begin(), e.actions.end(),
                                        [](const auto& a) { return a.code == SQLITE_SELECT; }))
      d.action = "SELECT";
    if (d.action.empty()) d.action = first.empty() ? "unknown" : first;
  }
  const std::string target = sqlite_lower(d.table);
  for (const auto& a : e.actions) {
    if (a.code == SQLITE_READ && a.source.empty() && !is_sqlite_internal_name(a.arg1) &&
        sqlite_lower(a.arg1) != target)
      add_unique(d.read_tables, sqlite_lower(a.arg1));
    if (d.action == "INSERT" && a.code == SQLITE_UPDATE && a.source.empty() &&
        sqlite_lower(a.arg1) == target)
      d.upsert = true;
  }
  if (d.action == "CREATE TABLE" && !d.read_tables.empty()) d.action = "CREATE TABLE AS SELECT";
  d.returning = is_dml(primary ? primary->code : 0) && e.column_count > 0;
  return d;
}

namespace {

void lock(StatementAnalysis& a, const std::string& relation) {
  if (relation.empty() || is_sqlite_internal_name(relation)) return;
  for (const auto& l : a.locks)
    if (sqlite_lower(l.relation) == sqlite_lower(relation)) return;
  a.locks.push_back({relation, LockLevel::kDatabaseWrite});
}

}  // namespace

StatementAnalysis sqlite_statement_effects(const SqliteStatementFacts& f,
                                           const SqliteAnalysisContext& ctx) {
  StatementAnalysis a;
  a.kind = f.action;
  a.migration_class = MigrationClass::kAdditive;
  const std::string& act = f.action;
  const bool new_table = ctx.created_in_this_migration(f.table);
  auto existed = [&](const std::string& name) { return !f.ran() || f.before.has(name); };
  if (act.starts_with("CREATE TABLE") || act == "CREATE VIRTUAL TABLE" ||
      act == "CREATE TEMP TABLE") {
    lock(a, f.table);
    if (act == "CREATE TABLE AS SELECT")  // copies its source's rows
      a.work = {WorkKind::kDataChange, f.read_tables.front(), false, {}, ""};
  } else if (act == "CREATE INDEX" || act == "CREATE UNIQUE INDEX") {
    lock(a, f.table);
    a.scans_table = true;
    a.work = {WorkKind::kIndexBuild, f.table, false, {""}, ""};
  } else if (act == "CREATE VIEW") {
    lock(a, f.table);
  } else if (act == "CREATE TRIGGER") {
    lock(a, f.table);
    // A trigger on a table others use changes what their writes do; recreating one that existed
    // when the migration started (after a rebuild) changes nothing.
    const SqliteObject* was = ctx.migration_start().object(f.new_name);
    const SqliteObject* now = f.after.object(f.new_name);
    const bool recreated = was && now && was->sql == now->sql;
    if (!new_table && !recreated) a.migration_class = MigrationClass::kBackwardCompatible;
  } else if (act == "DROP TABLE" || act == "DROP VIEW" || act == "DROP TRIGGER" ||
             act == "DROP VIRTUAL TABLE") {
    const std::string& dropped = act == "DROP TRIGGER" ? f.new_name : f.table;
    lock(a, f.table);
    const bool here = act == "DROP TRIGGER" ? ctx.object_created_in_this_migration(dropped)
                      : act == "DROP VIEW"  ? ctx.object_created_in_this_migration(dropped)
                                            : new_table;
    if (!here && existed(dropped)) a.migration_class = MigrationClass::kBreaking;
  } else if (act == "DROP INDEX") {
    lock(a, f.table);
    if (!ctx.object_created_in_this_migration(f.new_name) && existed(f.new_name))
      a.migration_class = MigrationClass::kBackwardCompatible;
  } else if (act.starts_with("ALTER TABLE")) {
    lock(a, f.table);
    if (act == "ALTER TABLE DROP COLUMN") {
      a.rewrites_table = true;
      a.work = {WorkKind::kRewrite, f.table, false, {}, ""};
    }
    if (act == "ALTER TABLE ADD COLUMN") {
      // A CHECK or NOT NULL generated column makes SQLite verify every existing row.
      for (const auto& x : f.actions)
        if (x.code == SQLITE_PRAGMA && sqlite_lower(x.arg1) == "quick_check") a.scans_table = true;
      if (a.scans_table) a.work = {WorkKind::kScan, f.table, false, {}, ""};
    } else if (!new_table && act != "ALTER TABLE") {
      a.migration_class = MigrationClass::kBreaking;  // DROP COLUMN, RENAME COLUMN, RENAME TO
    }
  } else if (act == "INSERT" || act == "UPDATE" || act == "DELETE") {
    if (!new_table) a.migration_class = MigrationClass::kDataBackfill;
    // An INSERT ... SELECT costs per row read from its source; a plain INSERT is a round trip.
    const std::string& source =
        act == "INSERT" ? (f.read_tables.empty() ? std::string() : f.read_tables.front()) : f.table;
    if (!source.empty()) {
      a.work = {WorkKind::kDataChange, source, false, {}, ""};
    } else if (std::any_of(f.actions.begin(), f.actions.end(),
                           [](const SqliteAction& x) { return x.code == SQLITE_RECURSIVE; })) {
      // INSERT from a recursive CTE (a generator): rows nobody can count before it runs.
      // INSERT ... VALUES stays catalog-only work: a round trip.
      a.work = {WorkKind::kUnknown, "", false, {}, ""};
    }
  } else if (act == "VACUUM") {
    a.can_run_in_transaction = false;
    a.rewrites_table = true;
    a.work = {WorkKind::kUnknown, "", false, {}, ""};
  }
  for (const auto& t : f.written_tables) lock(a, t);
  return a;
}

StatementAnalysis sqlite_unknown_statement_effects(const std::string& sql,
                                                   const std::string& missing) {
  StatementAnalysis a;
  a.kind = "unknown (refers to tables not created in these migrations)";
  a.migration_class = MigrationClass::kAdditive;
  auto t = sqlite_leading_tokens(sql, 8);
  for (auto& w : t) w = sqlite_upper(w);
  const std::string first = t.empty() ? std::string() : t[0];
  const std::string second = t.size() > 1 ? t[1] : std::string();
  bool writes = true;
  if (first == "INSERT" || first == "REPLACE" || first == "UPDATE" || first == "DELETE") {
    a.migration_class = MigrationClass::kDataBackfill;
  } else if (first == "DROP") {
    a.migration_class =
        second == "INDEX" ? MigrationClass::kBackwardCompatible : MigrationClass::kBreaking;
  } else if (first == "ALTER" && second == "TABLE") {
    for (std::size_t i = 3; i < t.size(); ++i) {
      if (t[i] == "RENAME" || t[i] == "DROP") a.migration_class = MigrationClass::kBreaking;
      if (t[i] == "RENAME" || t[i] == "DROP" || t[i] == "ADD") break;
    }
  } else if (first == "CREATE") {
    bool trigger = false;
    for (std::size_t i = 1; i < t.size() && i < 4; ++i) trigger = trigger || t[i] == "TRIGGER";
    if (trigger) a.migration_class = MigrationClass::kBackwardCompatible;
  } else {
    writes = false;
  }
  if (writes) lock(a, missing);
  return a;
}

}  // namespace migrate
