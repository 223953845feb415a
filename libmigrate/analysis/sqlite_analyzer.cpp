// Runs each SQLite migration's statements, in order, on the analysis context's in-memory copy,
// describes what each did, applies the rules to it, then looks at the migration as a whole (table
// rebuilds, objects dropped only to be recreated) and attaches the findings to their statements.
#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/analysis/analysis_internal.hpp"
#include "libmigrate/analysis/sqlite_analysis_context.hpp"
#include "libmigrate/analysis/sqlite_rule.hpp"
#include "libmigrate/analysis/sqlite_statement_effects.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/sqlite_statement.hpp"

namespace migrate {

std::shared_ptr<SqliteAnalysisContext> make_sqlite_context(const AnalysisOptions& options) {
  return std::make_shared<SqliteAnalysisContext>(options);
}

void analyze_sqlite_migration(const Migration& m, SqliteAnalysisContext& ctx,
                              MigrationAnalysis& out, TableChanges* changes) {
  const SourceLocation file{m.up.path.string(), m.version.str(), 0, 0, 0};
  ctx.begin_migration(m);
  const auto& rules = sqlite_rules();
  std::vector<SqliteFindingSink::Entry> findings;
  std::vector<SqliteOutcome> outcomes;
  const auto statements = split_sqlite_statements(m.up.sql, file);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& s = statements[i];
    const int position = static_cast<int>(i);
    // Snapshots: they share every table the statement leaves alone.
    SqliteSchema before = ctx.schema();
    SqliteExecution e = ctx.execute(s.sql);
    for (int retries = 0; !e.error.empty() && retries < 100 && ctx.evict_broken_dependent(e.error);
         ++retries) {
      before = ctx.schema();
      e = ctx.execute(s.sql);
    }
    SqliteSchema after = e.executed ? ctx.schema() : before;
    if (e.empty) {
      StatementAnalysis sa;
      sa.index = s.index;
      sa.line = s.line;
      sa.column = s.column;
      sa.kind = "empty";
      out.statements.push_back(std::move(sa));
      outcomes.push_back(SqliteOutcome::kNotExecuted);
      continue;
    }
    SqliteDescription d = describe_sqlite_statement(e, s.sql, before, after);
    SqliteOutcome outcome = e.executed ? SqliteOutcome::kRan : SqliteOutcome::kNotExecuted;
    if (!e.error.empty()) outcome = SqliteOutcome::kFailed;
    StatementAnalysis placeholder;
    SqliteStatementFacts facts{s,           e.actions,  d.action,      d.table,
                               d.column,    d.new_name, d.read_tables, d.written_tables,
                               d.returning, d.upsert,   outcome,       e.error,
                               before,      after,      placeholder};
    StatementAnalysis sa;
    if (outcome == SqliteOutcome::kFailed) {
      const bool explained = std::any_of(rules.begin(), rules.end(),
                                         [&](const auto& r) { return r->explains_failure(facts); });
      const std::string missing = sqlite_missing_object(e.error);
      if (!explained && !missing.empty() && !ctx.ever_created(missing)) {
        sa = sqlite_unknown_statement_effects(s.sql, missing);
        facts.outcome = SqliteOutcome::kSkipped;
      } else if (!explained) {
        std::string fix =
            "fix the statement; the analyzer runs each statement on an empty copy of the schema "
            "the earlier migrations build";
        if (sqlite_upper(d.action).starts_with("ALTER") &&
            e.error.find("syntax error") != std::string::npos)
          fix +=
              " (SQLite's ALTER TABLE can only RENAME TO, RENAME COLUMN, ADD COLUMN and DROP "
              "COLUMN; other changes need the table rebuild: create the new table, copy the rows, "
              "drop the old one, rename the new one)";
        fail(ErrorCode::kSourceInvalid,
             fmt::format("statement {} does not run against the schema so far: {}", s.index,
                         e.error),
             fix, {file.file, file.version, s.index, s.line, s.column});
      }
    }
    if (facts.outcome != SqliteOutcome::kSkipped) sa = sqlite_statement_effects(facts, ctx);
    sa.index = s.index;
    sa.line = s.line;
    sa.column = s.column;
    SqliteStatementFacts checked{s,
                                 e.actions,
                                 d.action,
                                 d.table,
                                 d.column,
                                 d.new_name,
                                 d.read_tables,
                                 d.written_tables,
                                 d.returning,
                                 d.upsert,
                                 facts.outcome,
                                 e.error,
                                 before,
                                 after,
                                 sa};
    if (checked.outcome != SqliteOutcome::kSkipped) {
      SqliteFindingSink sink(position);
      for (const auto& r : rules) r->check(checked, ctx, sink);
      for (auto& entry : sink.entries()) findings.push_back(std::move(entry));
    }
    ctx.track(checked, position);
    if (changes && checked.outcome == SqliteOutcome::kRan) {
      if (d.action.starts_with("CREATE TABLE"))
        changes->created_tables.push_back(sqlite_lower(d.table));
      else if (d.action == "DROP TABLE")
        changes->removed.push_back({position, sqlite_lower(d.table), std::string()});
      else if (d.action == "ALTER TABLE DROP COLUMN")
        changes->removed.push_back({position, sqlite_lower(d.table), d.column});
    }
    out.statements.push_back(std::move(sa));
    outcomes.push_back(checked.outcome);
  }

  // The migration as a whole: rebuilds, and objects dropped only to be recreated unchanged.
  for (int pos : ctx.drops_recreated_identically())
    out.statements[pos].migration_class = MigrationClass::kAdditive;
  for (const auto& r : ctx.rebuilds()) {
    const MigrationClass cls =
        r.dropped_columns.empty() ? MigrationClass::kBackwardCompatible : MigrationClass::kBreaking;
    const std::string note = fmt::format(" (table rebuild of {})", r.original.name);
    std::vector<int> parts{r.removed_at, r.installed_at};
    parts.insert(parts.end(), r.also_part.begin(), r.also_part.end());
    for (int pos : parts) {
      auto& st = out.statements[pos];
      if (st.kind.find(note) == std::string::npos) st.kind += note;
      st.migration_class = cls;
    }
    if (r.copied_at) {
      auto& st = out.statements[*r.copied_at];
      if (st.kind.find(note) == std::string::npos) st.kind += note;
      st.rewrites_table = true;
    }
    if (changes) {
      // The original's rows live on in the rebuilt table: only its dropped columns are lost.
      std::erase_if(changes->removed, [&](const TableChanges::Removal& x) {
        return x.column.empty() &&
               (x.position == r.removed_at ||
                std::find(r.also_part.begin(), r.also_part.end(), x.position) != r.also_part.end());
      });
      for (const auto& c : r.dropped_columns)
        changes->removed.push_back({r.removed_at, r.table, c});
    }
    SqliteFindingSink sink(r.removed_at);
    for (const auto& rule : rules) rule->check_rebuild(r, ctx, sink);
    for (auto& entry : sink.entries()) findings.push_back(std::move(entry));
  }

  std::stable_sort(findings.begin(), findings.end(),
                   [](const auto& a, const auto& b) { return a.position < b.position; });
  for (auto& entry : findings) {
    auto& st = out.statements[entry.position];
    Finding& f = entry.finding;
    f.where = SourceLocation{file.file, file.version, st.index, st.line, st.column};
    f.locks = st.locks;
    // A finding about a statement the copy never runs (the foreign_keys pragma, BEGIN) says
    // nothing about what the migration does to the schema or the data.
    const bool effective = outcomes[entry.position] == SqliteOutcome::kRan ||
                           outcomes[entry.position] == SqliteOutcome::kFailed;
    if (f.severity != Severity::kInfo && effective)
      st.migration_class = severer_class(st.migration_class, class_of_rule(f.rule_id));
    st.findings.push_back(std::move(f));
  }
}

}  // namespace migrate
