// SQLite statements understood by SQLite itself: each statement is prepared and run against an
// in-memory database that holds the schema as the migrations build it, with an authorizer that
// reports what the statement does.
#include <sqlite3.h>

#include <fmt/format.h>

#include "libmigrate/analysis/analysis_internal.hpp"
#include "libmigrate/backend/sqlite/sqlite_statement_splitter.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

class SqliteAnalysisContext {
 public:
  explicit SqliteAnalysisContext(const AnalysisOptions& options) : options_(options) {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK)
      fail(ErrorCode::kInternal, "cannot open an in-memory SQLite database");
  }
  ~SqliteAnalysisContext() { sqlite3_close(db_); }
  sqlite3* db() const { return db_; }
  const AnalysisOptions& options() const { return options_; }

 private:
  const AnalysisOptions& options_;
  sqlite3* db_ = nullptr;
};

std::shared_ptr<SqliteAnalysisContext> make_sqlite_context(const AnalysisOptions& options) {
  return std::make_shared<SqliteAnalysisContext>(options);
}

const std::vector<RuleInfo>& sqlite_rule_infos() {
  static const std::vector<RuleInfo> rules;
  return rules;
}

namespace {

struct Action {
  int code;
  std::string arg1, arg2;
};

int collect(void* user, int code, const char* a1, const char* a2, const char*, const char*) {
  static_cast<std::vector<Action>*>(user)->push_back({code, a1 ? a1 : "", a2 ? a2 : ""});
  return SQLITE_OK;
}

}  // namespace

void analyze_sqlite_migration(const Migration& m, SqliteAnalysisContext& ctx,
                              MigrationAnalysis& out) {
  const SourceLocation file{m.up.path.string(), m.version.str(), 0, 0, 0};
  for (const auto& s : split_sqlite_statements(m.up.sql, file)) {
    std::vector<Action> actions;
    sqlite3_set_authorizer(ctx.db(), collect, &actions);
    char* err = nullptr;
    int rc = sqlite3_exec(ctx.db(), s.sql.c_str(), nullptr, nullptr, &err);
    sqlite3_set_authorizer(ctx.db(), nullptr, nullptr);
    std::string why = err ? err : "";
    sqlite3_free(err);
    if (rc != SQLITE_OK) {
      fail(ErrorCode::kSourceInvalid,
           fmt::format("statement {} does not run against the schema so far: {}", s.index, why),
           "fix the statement; the analyzer runs each statement on an empty copy of the schema the "
           "earlier "
           "migrations build",
           {file.file, file.version, s.index, s.line, s.column});
    }
    StatementAnalysis sa;
    sa.index = s.index;
    sa.line = s.line;
    sa.column = s.column;
    for (const auto& a : actions) {
      switch (a.code) {
        case SQLITE_DROP_TABLE:
        case SQLITE_DROP_VIEW:
          sa.migration_class = severer_class(sa.migration_class, MigrationClass::kBreaking);
          break;
        case SQLITE_INSERT:
        case SQLITE_UPDATE:
        case SQLITE_DELETE:
          if (!a.arg1.starts_with("sqlite_"))
            sa.migration_class = severer_class(sa.migration_class, MigrationClass::kDataBackfill);
          break;
        default:
          break;
      }
      if (sa.kind.empty() && a.code != SQLITE_READ && a.code != SQLITE_FUNCTION &&
          a.code != SQLITE_SELECT)
        sa.kind = fmt::format("sqlite action {}", a.code);
    }
    out.statements.push_back(std::move(sa));
  }
}

}  // namespace migrate
