// The analyzer's entry point, the rule catalog and its Markdown rendering (docs/rules.md).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>
#include <optional>

#include "libmigrate/analysis/analysis_internal.hpp"
#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

const char* dialect_name(const RuleInfo& rule) noexcept {
  return rule.dialect ? to_string(*rule.dialect) : "any";
}

const char* to_string(Severity s) noexcept {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "warning";
}

const char* to_string(WorkKind k) noexcept {
  switch (k) {
    case WorkKind::kCatalogOnly:
      return "catalog-only";
    case WorkKind::kRewrite:
      return "rewrite";
    case WorkKind::kScan:
      return "scan";
    case WorkKind::kForeignKeyScan:
      return "foreign-key-scan";
    case WorkKind::kIndexBuild:
      return "index-build";
    case WorkKind::kDataChange:
      return "data-change";
    case WorkKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* to_string(LockLevel l) noexcept {
  switch (l) {
    case LockLevel::kNone:
      return "none";
    case LockLevel::kAccessShare:
      return "ACCESS SHARE";
    case LockLevel::kRowShare:
      return "ROW SHARE";
    case LockLevel::kRowExclusive:
      return "ROW EXCLUSIVE";
    case LockLevel::kShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case LockLevel::kShare:
      return "SHARE";
    case LockLevel::kShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case LockLevel::kExclusive:
      return "EXCLUSIVE";
    case LockLevel::kAccessExclusive:
      return "ACCESS EXCLUSIVE";
    case LockLevel::kDatabaseWrite:
      return "database write lock";
  }
  return "none";
}

bool lock_levels_conflict(LockLevel requested, LockLevel held) noexcept {
  if (requested == LockLevel::kDatabaseWrite || held == LockLevel::kDatabaseWrite)
    return requested == held;
  if (requested == LockLevel::kNone || held == LockLevel::kNone) return false;
  // Rows: the requested mode, weakest first; bit k: conflicts with the mode of rank k (ACCESS
  // SHARE = bit 0 ... ACCESS EXCLUSIVE = bit 7). PostgreSQL's lock.c conflict table, as masks.
  static constexpr unsigned kConflicts[8] = {
      0b10000000,  // ACCESS SHARE: ACCESS EXCLUSIVE
      0b11000000,  // ROW SHARE: EXCLUSIVE, ACCESS EXCLUSIVE
      0b11110000,  // ROW EXCLUSIVE: SHARE and stronger
      0b11111000,  // SHARE UPDATE EXCLUSIVE: itself and stronger
      0b11101100,  // SHARE: ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE, SHARE ROW EXCLUSIVE and up
      0b11111100,  // SHARE ROW EXCLUSIVE: ROW EXCLUSIVE and stronger
      0b11111110,  // EXCLUSIVE: ROW SHARE and stronger
      0b11111111,  // ACCESS EXCLUSIVE: everything
  };
  const int r = static_cast<int>(requested) - static_cast<int>(LockLevel::kAccessShare);
  const int h = static_cast<int>(held) - static_cast<int>(LockLevel::kAccessShare);
  return (kConflicts[r] >> h) & 1U;
}

const char* blocks_what(LockLevel l) noexcept {
  switch (l) {
    case LockLevel::kNone:
      return "nothing";
    case LockLevel::kAccessShare:
      return "only ACCESS EXCLUSIVE requests (DROP, most ALTER TABLE)";
    case LockLevel::kRowShare:
    case LockLevel::kRowExclusive:
      return "only SHARE and stronger requests (index builds, DDL)";
    case LockLevel::kShareUpdateExclusive:
      return "other DDL, VACUUM and index builds; reads and writes continue";
    case LockLevel::kShare:
    case LockLevel::kShareRowExclusive:
      return "INSERT, UPDATE, DELETE; reads continue";
    case LockLevel::kExclusive:
      return "writes and SELECT ... FOR UPDATE/SHARE; plain reads continue";
    case LockLevel::kAccessExclusive:
      return "everything, including plain SELECT";
    case LockLevel::kDatabaseWrite:
      return "every other writer of the database file; readers continue in WAL mode";
  }
  return "nothing";
}

std::vector<const Finding*> MigrationAnalysis::blocking() const {
  std::vector<const Finding*> out;
  for (const auto& f : findings)
    if (f.severity == Severity::kError && !f.suppressed) out.push_back(&f);
  return out;
}

const std::vector<RuleInfo>& migration_rule_infos() {
  static const std::vector<RuleInfo> rules{
      {"suppression-without-reason", std::nullopt, Severity::kError, MigrationClass::kAdditive,
       LockLevel::kNone, "A suppression that does not say why hides a risk from the next reviewer.",
       "Give the reason: `-- migrate:allow <rule-id> reason \"the table has 12 rows\"`.",
       "-- migrate:allow create-index-blocking\nCREATE INDEX i ON t (a);",
       "-- migrate:allow create-index-blocking reason \"t is a 10-row lookup table\"\nCREATE INDEX "
       "i ON t (a);"},
      {"unused-suppression", std::nullopt, Severity::kWarning, MigrationClass::kAdditive,
       LockLevel::kNone,
       "A suppression that matches no finding is stale or misspelled, and would silently hide a "
       "future one.",
       "Remove it, or fix the rule id.",
       "-- migrate:allow drop-table reason \"cleanup\"\nCREATE TABLE t (id int);",
       "CREATE TABLE t (id int);"},
      {"empty-migration", std::nullopt, Severity::kWarning, MigrationClass::kAdditive,
       LockLevel::kNone,
       "An up file without a statement (empty, or only comments and directives) is recorded as "
       "applied while the database does not change: often a file saved before its SQL was "
       "written, or a statement commented out by mistake.",
       "Write the migration's statements; keep an empty file only as a deliberate placeholder "
       "(say so: `-- migrate:allow empty-migration reason \"placeholder for V12 in prod\"`).",
       "-- migrate:class additive\n-- Adds the orders table.\n",
       "-- migrate:class additive\n-- Adds the orders table.\nCREATE TABLE orders (id bigint);"},
      {"declared-class-too-mild", std::nullopt, Severity::kError, MigrationClass::kAdditive,
       LockLevel::kNone,
       "The `class` directive promises less than the statements do: deploy ordering built on it "
       "would be wrong.",
       "Declare the class the analyzer infers, or split the migration (expand before the deploy, "
       "contract after).",
       "-- migrate:class additive\nALTER TABLE t DROP COLUMN c;",
       "-- migrate:class breaking\n-- migrate:phase contract\nALTER TABLE t DROP COLUMN c;"},
      {"breaking-outside-contract", std::nullopt, Severity::kError, MigrationClass::kBreaking,
       LockLevel::kNone,
       "A breaking statement (a drop, a rename, a type change) in a migration that is not a "
       "contract runs before, or with, the deploy that stops the old code from using what it "
       "changes: the running application fails until the new version is everywhere. An expand "
       "runs before the deploy by definition.",
       "Split the change into an expand migration (before the deploy: add the new, keep the old "
       "in sync) and a contract migration (after it: remove the old), e.g. with `migrate new "
       "--recipe <kind>` (docs/two-phase.md); or, when no deployed code uses what it changes, "
       "declare the file `-- migrate:phase contract` with `-- migrate:completes V<expand>`.",
       "ALTER TABLE users DROP COLUMN nickname;",
       "-- migrate:phase contract\n-- migrate:completes V41\nALTER TABLE users DROP COLUMN "
       "nickname;"},
      {"contract-without-expand", std::nullopt, Severity::kError, MigrationClass::kAdditive,
       LockLevel::kNone,
       "A contract migration that does not name the expand it completes cannot be gated: apply "
       "cannot tell whether the code that needs the old schema is gone, and `status` cannot show "
       "what waits for it.",
       "Name the expand: `-- migrate:completes V<version>` under `-- migrate:phase contract`.",
       "-- migrate:phase contract\nALTER TABLE users DROP COLUMN nickname;",
       "-- migrate:phase contract\n-- migrate:completes V41\nALTER TABLE users DROP COLUMN "
       "nickname;"},
      {"rollback-data-loss", std::nullopt, Severity::kWarning, MigrationClass::kBreaking,
       LockLevel::kNone,
       "A down file that drops a table or a column deletes the rows written since the up file "
       "ran: rolling back loses them, even when the up file created the table. Only shown for "
       "down files (`migrate rollback --dry-run`), so the operator knows before confirming.",
       "Back the data up before rolling back, or write a down file that keeps it (rename the "
       "table or column aside instead of dropping it) when it must survive a rollback.",
       "-- V7__orders.down.sql\nDROP TABLE orders;",
       "-- V7__orders.down.sql\nALTER TABLE orders RENAME TO orders_rolled_back_v7;"},
  };
  return rules;
}

const std::vector<RuleInfo>& rule_catalog() {
  static const std::vector<RuleInfo> all = [] {
    std::vector<RuleInfo> v;
    for (const auto& r : pg_rules()) v.push_back(r->info());
    for (const auto& r : sqlite_rule_infos()) v.push_back(r);
    for (const auto& r : migration_rule_infos()) v.push_back(r);
    return v;
  }();
  return all;
}

const RuleInfo* find_rule(const std::string& rule_id) {
  for (const auto& r : rule_catalog())
    if (r.id == rule_id) return &r;
  return nullptr;
}

MigrationClass class_of_rule(const std::string& rule_id) {
  const RuleInfo* r = find_rule(rule_id);
  return r ? r->migration_class : MigrationClass::kAdditive;
}

namespace {

// The recipe that splits what `rule_id` reports into an expand and a contract, as a command.
std::string recipe_for(const std::string& rule_id, const std::string& table) {
  const std::string t = table.empty() ? "<table>" : table;
  if (rule_id == "drop-column" || rule_id == "sqlite-drop-column")
    return "migrate new --recipe drop-column --table " + t + " --column <column>";
  if (rule_id == "rename-column")
    return "migrate new --recipe rename-column --table " + t +
           " --column <column> --to <new name> --type <its type>";
  if (rule_id == "alter-column-type-rewrite")
    return "migrate new --recipe change-column-type --table " + t +
           " --column <column> --type <new type>";
  if (rule_id == "rename-table")
    return "migrate new --recipe rename-table --table " + t + " --to <new name>";
  return {};
}

// A breaking statement outside a contract: refused (error) with the statement's own finding and
// the recipe that splits it. A breaking finding the file accepts with `allow <rule> reason` does
// not count.
void add_breaking_outside_contract(const Migration& m, MigrationAnalysis& a, Dialect dialect) {
  if (m.directives.phase == Phase::kContract) return;
  auto accepted = [&](const std::string& rule_id) {
    return std::any_of(
        m.directives.allows.begin(), m.directives.allows.end(),
        [&](const Suppression& s) { return s.rule_id == rule_id && !s.reason.empty(); });
  };
  const Finding* first = nullptr;
  for (const auto& f : a.findings) {
    if (f.where.statement <= 0 || f.rule_id == "rollback-data-loss") continue;
    const RuleInfo* r = find_rule(f.rule_id);
    if (!r || r->migration_class != MigrationClass::kBreaking || accepted(f.rule_id)) continue;
    first = &f;
    break;
  }
  if (!first) return;
  const RuleInfo& rule = *find_rule("breaking-outside-contract");
  const bool expand = m.directives.phase == Phase::kExpand;
  // Recipes write PostgreSQL SQL; on SQLite the pair is written by hand.
  const std::string recipe =
      dialect == Dialect::kPostgres
          ? recipe_for(first->rule_id,
                       first->locks.empty() ? std::string() : first->locks.front().relation)
          : std::string();
  Finding f;
  f.rule_id = rule.id;
  f.severity = rule.severity;
  f.message = fmt::format(
      "statement {} (line {}) is breaking and {}: [{}] {}", first->where.statement,
      first->where.line,
      expand ? "this is an expand migration, which runs before the deploy while the old code "
               "still uses what it changes"
             : "the migration declares no phase, so it would run before or with the deploy",
      first->rule_id, first->message);
  f.alternative =
      dialect == Dialect::kSqlite
          ? std::string(
                "split it into an expand migration and a contract migration "
                "(`-- migrate:phase contract` with `-- migrate:completes V<expand>`), "
                "written by hand on SQLite as the demo's V010/V018 are "
                "(docs/two-phase.md#recipes); or, when no deployed code uses what it "
                "changes, declare this file the contract")
      : recipe.empty()
          ? rule.alternative
          : fmt::format(
                "split it: `{}` writes the expand and the contract (docs/two-phase.md); "
                "or, when no deployed code uses what it changes, declare this file "
                "`-- migrate:phase contract` with `-- migrate:completes V<expand>`",
                recipe);
  f.where = first->where;
  f.locks = first->locks;
  a.findings.push_back(std::move(f));
}

void add_migration_findings(const Migration& m, MigrationAnalysis& a, bool down_file,
                            Dialect dialect) {
  const std::string file = m.up.path.string();
  auto rule = [](const char* id) { return *find_rule(id); };
  auto migration_finding = [&](const RuleInfo& r, std::string message, int line) {
    Finding f;
    f.rule_id = r.id;
    f.severity = r.severity;
    f.message = std::move(message);
    f.alternative = r.alternative;
    f.where = SourceLocation{file, m.version.str(), 0, line, line > 0 ? 1 : 0};
    a.findings.push_back(std::move(f));
  };
  if (a.statements.empty() && !down_file) {
    migration_finding(rule("empty-migration"),
                      fmt::format("{} has no statements: applying it records version {} as "
                                  "applied without changing the database",
                                  m.up.path.filename().string(), m.version.str()),
                      1);
  }
  if (!down_file) add_breaking_outside_contract(m, a, dialect);
  if (!down_file && m.directives.phase == Phase::kContract && !m.directives.completes)
    migration_finding(rule("contract-without-expand"),
                      fmt::format("{} is a contract migration but names no expand "
                                  "(`-- migrate:completes V<version>`): apply cannot gate it",
                                  m.up.path.filename().string()),
                      1);
  // Suppressions next: they apply to the findings collected so far.
  for (const auto& s : m.directives.allows) {
    bool matched = false;
    for (auto& f : a.findings) {
      if (f.rule_id != s.rule_id) continue;
      matched = true;
      if (!s.reason.empty()) {
        f.suppressed = true;
        f.suppression_reason = s.reason;
      }
    }
    if (s.reason.empty()) {
      migration_finding(
          rule("suppression-without-reason"),
          fmt::format("`allow {}` gives no reason, so it suppresses nothing", s.rule_id), s.line);
    }
    if (!matched) {
      migration_finding(
          rule("unused-suppression"),
          find_rule(s.rule_id)
              ? fmt::format("`allow {}` matches no finding of this migration", s.rule_id)
              : fmt::format("`allow {}`: no rule has this id", s.rule_id),
          s.line);
    }
  }
  if (m.directives.declared_class &&
      static_cast<int>(*m.directives.declared_class) < static_cast<int>(a.inferred_class)) {
    // Name the first statement that makes the class this severe, and the findings that did, so
    // the author knows what to split off or why the class is what it is.
    const StatementAnalysis* culprit = nullptr;
    for (const auto& s : a.statements)
      if (s.migration_class == a.inferred_class) {
        culprit = &s;
        break;
      }
    std::string because;
    if (culprit) {
      std::string rules;
      for (const auto& f : culprit->findings)
        if (f.severity != Severity::kInfo && class_of_rule(f.rule_id) == a.inferred_class &&
            rules.find(f.rule_id) == std::string::npos)
          rules += (rules.empty() ? "" : ", ") + f.rule_id;
      because = fmt::format(": statement {} (line {}, {}) is {}{}", culprit->index, culprit->line,
                            culprit->kind, to_string(a.inferred_class),
                            rules.empty() ? "" : " (" + rules + ")");
    }
    migration_finding(
        rule("declared-class-too-mild"),
        fmt::format("declared class {} is milder than the inferred class {}{}",
                    to_string(*m.directives.declared_class), to_string(a.inferred_class), because),
        culprit ? culprit->line : 0);
    if (culprit) {
      a.findings.back().where.statement = culprit->index;
      a.findings.back().where.column = culprit->column;
    }
  }
}

// A down file as the analyzers see a migration: its text in place of the up file's, its own
// directives.
Migration as_down_migration(const Migration& m) {
  Migration down;
  down.version = m.version;
  down.name = m.name;
  down.up = *m.down;
  down.directives = m.down_directives;
  return down;
}

bool same_name(const std::string& a, const std::string& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// What rolling back loses: a warning for every table or column the down file drops. A drop-table
// finding about a table its own up file created becomes a warning too: removing it is what the
// rollback is for, and the operator is told about the rows by rollback-data-loss.
void add_rollback_findings(const Migration& m, const TableChanges& down,
                           const std::vector<std::string>& created_by_up, MigrationAnalysis& a) {
  const RuleInfo& rule = *find_rule("rollback-data-loss");
  auto created_by_up_file = [&](const std::string& table) {
    return std::any_of(created_by_up.begin(), created_by_up.end(),
                       [&](const std::string& t) { return same_name(t, table); });
  };
  auto created_by_down_file = [&](const std::string& table) {
    return std::any_of(down.created_tables.begin(), down.created_tables.end(),
                       [&](const std::string& t) { return same_name(t, table); });
  };
  for (const auto& removal : down.removed) {
    // A scratch table of the down file itself (a copy kept aside during a rebuild) held nothing
    // that existed before the rollback.
    if (created_by_down_file(removal.table)) continue;
    StatementAnalysis& st = a.statements.at(static_cast<std::size_t>(removal.position));
    const bool own = created_by_up_file(removal.table);
    Finding f;
    f.rule_id = rule.id;
    f.severity = rule.severity;
    f.message =
        removal.column.empty()
            ? fmt::format(
                  "rolling back version {} drops table {} and deletes every row in it{}",
                  m.version.str(), removal.table,
                  own ? " (its up file created the table; rows written since are lost)" : "")
            : fmt::format("rolling back version {} drops column {}.{} and deletes its data",
                          m.version.str(), removal.table, removal.column);
    f.alternative = rule.alternative;
    f.where = SourceLocation{m.down->path.string(), m.version.str(), st.index, st.line, st.column};
    f.locks = st.locks;
    for (auto& existing : st.findings) {
      if (existing.rule_id != "drop-table" || !removal.column.empty() || !own ||
          existing.severity != Severity::kError)
        continue;
      existing.severity = Severity::kWarning;
      existing.message += fmt::format(
          " (a warning here: the up file of version {} created it, and its down file removes it)",
          m.version.str());
    }
    st.findings.push_back(std::move(f));
  }
}

// Inside a contract that completes an expand applied before it, a breaking change is where it
// belongs: its rules' warnings become info (errors, e.g. a dropped table's data, still need an
// `allow` with a reason).
void relax_in_completing_contract(const Migration& m, const AnalysisOptions& options,
                                  MigrationAnalysis& a) {
  if (m.directives.phase != Phase::kContract || !m.directives.completes ||
      !options.completed_expands.count(m.directives.completes->str()))
    return;
  for (auto& st : a.statements)
    for (auto& f : st.findings) {
      if (f.severity != Severity::kWarning || f.rule_id == "rollback-data-loss" ||
          class_of_rule(f.rule_id) != MigrationClass::kBreaking)
        continue;
      f.severity = Severity::kInfo;
      f.message += fmt::format(" (info here: this contract completes expand {}, applied before it)",
                               m.directives.completes->str());
    }
}

// One file to analyze: a migration's up file, or its down file.
struct AnalyzedFile {
  const Migration* migration = nullptr;
  bool down = false;
};

Result<std::vector<MigrationAnalysis>> analyze_files(const std::vector<AnalyzedFile>& files,
                                                     const AnalysisOptions& options) {
  try {
    std::vector<MigrationAnalysis> out;
    PgMigrationContext pg(options);
    std::shared_ptr<SqliteAnalysisContext>
        sqlite;  // shared: the type is complete only in sqlite_analysis_context.hpp
    if (options.dialect == Dialect::kSqlite) sqlite = make_sqlite_context(options);
    // The tables each version's up file created, for its down file.
    std::map<std::string, std::vector<std::string>> created_by_up;
    for (const AnalyzedFile& file : files) {
      std::optional<Migration> down;
      if (file.down) down = as_down_migration(*file.migration);
      const Migration* m = down ? &*down : file.migration;
      MigrationAnalysis a;
      a.version = m->version.str();
      a.name = m->name;
      a.file = m->up.path.string();
      a.declared_class = m->directives.declared_class;
      TableChanges changes;
      if (sqlite)
        analyze_sqlite_migration(*m, *sqlite, a, &changes);
      else
        analyze_postgres_migration(*m, pg, a, &changes);
      if (!file.down) relax_in_completing_contract(*m, options, a);
      if (file.down)
        add_rollback_findings(*file.migration, changes, created_by_up[a.version], a);
      else
        created_by_up[a.version] = std::move(changes.created_tables);
      for (const auto& s : a.statements) {
        a.inferred_class = severer_class(a.inferred_class, s.migration_class);
        for (const auto& f : s.findings) a.findings.push_back(f);
      }
      add_migration_findings(*m, a, file.down, options.dialect);
      // Statement findings carry the suppression too, for renderers that walk statements.
      for (auto& s : a.statements)
        for (auto& f : s.findings)
          for (const auto& mf : a.findings)
            if (mf.rule_id == f.rule_id && mf.where.statement == f.where.statement &&
                mf.suppressed) {
              f.suppressed = true;
              f.suppression_reason = mf.suppression_reason;
            }
      out.push_back(std::move(a));
    }
    return out;
  } catch (const Failure& f) {
    return f.error();
  }
}

}  // namespace

Result<std::vector<MigrationAnalysis>> analyze_migrations(
    const std::vector<const Migration*>& migrations, const AnalysisOptions& options) {
  std::vector<AnalyzedFile> files;
  for (const Migration* m : migrations) files.push_back({m, false});
  return analyze_files(files, options);
}

Result<std::vector<MigrationAnalysis>> analyze_rollback(
    const std::vector<const Migration*>& applied, const std::vector<const Migration*>& reverted,
    const AnalysisOptions& options) {
  std::vector<AnalyzedFile> files;
  for (const Migration* m : applied) files.push_back({m, false});
  for (const Migration* m : reverted)
    if (m->down) files.push_back({m, true});
  auto analyses = analyze_files(files, options);
  if (!analyses) return analyses;
  // Only the down files' analyses: the up files only built the schema they undo.
  std::vector<MigrationAnalysis> downs(
      std::make_move_iterator(analyses.value().begin() +
                              static_cast<std::ptrdiff_t>(applied.size())),
      std::make_move_iterator(analyses.value().end()));
  return downs;
}

std::string rules_markdown() {
  std::string out =
      "# Rules\n\n"
      "Generated from the analyzer's rule catalog (`migrate rules --markdown`); a test keeps this "
      "file and the\n"
      "code in step. Each finding names its rule id; silence one for a migration with\n"
      "`-- migrate:allow <rule-id> reason \"...\"` in the up file's directive block.\n\n"
      "Severity: `error` findings make `apply` refuse the migration unless suppressed; `warning` "
      "and `info` are\n"
      "shown by `plan` and `lint`. Lock rules do not fire for tables created earlier in the same "
      "migration, or by an\n"
      "earlier migration of the same run (`plan`, `apply`); `lint`, which cannot tell, reports "
      "them as warnings.\nThey drop to `info` on tables the catalog says are small (when "
      "connected).\n\n"
      "| id | dialect | severity | class | lock |\n|---|---|---|---|---|\n";
  for (const auto& r : rule_catalog())
    out += fmt::format("| [`{}`](#{}) | {} | {} | {} | {} |\n", r.id, r.id, dialect_name(r),
                       to_string(r.severity), to_string(r.migration_class), to_string(r.lock));
  for (const auto& r : rule_catalog()) {
    out += fmt::format("\n## {}\n\n", r.id);
    out += fmt::format("- Dialect: {}\n- Severity: {}\n- Class of a finding: {}\n", dialect_name(r),
                       to_string(r.severity), to_string(r.migration_class));
    if (r.lock != LockLevel::kNone)
      out += fmt::format("- Lock: {} (blocks {})\n", to_string(r.lock), blocks_what(r.lock));
    out += fmt::format("\n**Why.** {}\n\n**Safe alternative.** {}\n", r.why, r.alternative);
    out += fmt::format("\nFlagged:\n\n```sql\n{}\n```\n", r.bad_example);
    if (!r.good_example.empty())
      out += fmt::format("\nInstead:\n\n```sql\n{}\n```\n", r.good_example);
  }
  return out;
}

}  // namespace migrate
