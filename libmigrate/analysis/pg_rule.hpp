// The PostgreSQL rule framework: one rule (or one tight family) per file under rules/, each a
// PgRule reporting findings for one statement at a time, from PostgreSQL's own parse tree.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "libmigrate/sql/postgres_statement.hpp"
#include "migrate/analysis.hpp"

namespace migrate {

// One statement, parsed, with the effects the lock table computed (locks, rewrite, scan, class).
struct PgStatementFacts {
  const SqlStatement& statement;
  const PgStatementInfo& info;    // info.node_type, info.node (JSON), info.relations, ...
  const StatementAnalysis& base;  // locks, rewrites_table, scans_table, migration_class
};

// What is known around the statement.
class PgMigrationContext {
 public:
  explicit PgMigrationContext(const AnalysisOptions& options) : options_(options) {
    for (const auto& e : options.installed_extensions)
      plan_facts_.insert("installed-extension:" + e);
  }

  const AnalysisOptions& options() const { return options_; }
  int server_version() const { return options_.server_version_num; }  // 150000 for 15.0

  // Created earlier in this migration (exempt from lock rules) or by an earlier migration of
  // the analysed set (not exempt: it exists in production when this one runs).
  bool created_in_this_migration(const std::string& relation) const;
  // The version of the earlier migration of the analysed set that created `relation`, if one did.
  std::optional<std::string> created_by_earlier_migration(const std::string& relation) const;
  // Created by an earlier migration that runs in the same run as this one (both pending): the
  // table is new when this migration runs, like one created earlier in the same migration.
  bool created_in_same_run(const std::string& relation) const;
  // Rows, when a connection gave catalog statistics.
  std::optional<double> rows(const std::string& relation) const;

  // Statements before this one in the same transaction group of this migration (empty when the
  // statement runs on its own).
  const std::vector<const PgStatementInfo*>& earlier_in_transaction() const {
    return in_transaction_;
  }
  // False for a `-- migrate:transaction off` migration: each statement runs on its own.
  bool migration_transactional() const { return migration_transactional_; }
  // `-- migrate:backfill`: its UPDATE/DELETE statements and those naming :batch_start run in
  // batches (docs/backfills.md).
  bool migration_backfill() const { return migration_backfill_; }
  // Every statement before this one in this migration.
  const std::vector<const PgStatementInfo*>& earlier_in_migration() const { return in_migration_; }

  // Facts that rules remember for later statements and migrations of the analysed set, e.g.
  // "matview:public.x", "unique-index-on:x", "fk:t.fk_name", "valid-not-null-check:t.c". A rule
  // records what a statement establishes and reads what earlier ones did; rules must not rely on
  // running before or after another rule on the same statement.
  std::set<std::string>& plan_facts() const { return plan_facts_; }

  // Maintained by the analyzer.
  void begin_migration(const std::string& version, bool transactional, bool backfill = false);
  void after_statement(const PgStatementInfo& info, bool standalone);
  // `table` is the table of a created index (empty for other relations): a down file removing
  // an index its up file built is judged by that table.
  void note_created(const std::string& relation, const std::string& table = {});

 private:
  const AnalysisOptions& options_;
  std::set<std::string> created_here_;
  std::map<std::string, std::string> created_in_set_;  // relation -> version that created it
  std::map<std::string, std::string> index_table_;     // index created in the set -> its table
  std::string version_;
  bool migration_transactional_ = true;
  bool migration_backfill_ = false;
  std::vector<const PgStatementInfo*> in_transaction_;
  std::vector<const PgStatementInfo*> in_migration_;
  mutable std::set<std::string> plan_facts_;
};

// Collects a rule's findings for the current statement.
class FindingSink {
 public:
  FindingSink(const PgStatementFacts& facts, const PgMigrationContext& ctx,
              std::vector<Finding>& out)
      : facts_(facts), ctx_(ctx), out_(out) {}
  // `message` says what this statement does wrong; `alternative` overrides the rule's generic one.
  // Lock rules (the rule's lock is SHARE or stronger) are dropped when every relation the
  // statement locks was created earlier in the same migration, and lowered to info on tables the
  // catalog says are small.
  void report(const RuleInfo& rule, std::string message, std::string alternative = {});

 private:
  const PgStatementFacts& facts_;
  const PgMigrationContext& ctx_;
  std::vector<Finding>& out_;
};

class PgRule {
 public:
  virtual ~PgRule() = default;
  virtual const RuleInfo& info() const = 0;
  virtual void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
                     FindingSink& sink) const = 0;
};

// Every PostgreSQL rule, in catalog order (pg_rule_registry.cpp).
const std::vector<std::unique_ptr<PgRule>>& pg_rules();

// Lock levels, rewrite/scan and the base class of a statement, from its parse node.
StatementAnalysis pg_statement_effects(const PgStatementInfo& info, const PgMigrationContext& ctx);

// Parse-tree helpers for rules (libpg_query JSON): absent keys read as false / "" / null.
namespace pgtree {
bool flag(const nlohmann::json& node, const char* key);
std::string text(const nlohmann::json& node, const char* key);
const nlohmann::json& child(const nlohmann::json& node, const char* key);
// "schema.name" or "name" of a RangeVar node (the object inside {"RangeVar": ...} or bare).
std::string relation_name(const nlohmann::json& range_var);
// The AlterTableCmd objects of an AlterTableStmt node.
std::vector<const nlohmann::json*> alter_table_commands(const nlohmann::json& alter_table_stmt);
// The Constraint objects inside a list (column constraints, table constraints).
std::vector<const nlohmann::json*> constraints_in(const nlohmann::json& list);
// The String values of a list of {"String": {"sval": ...}} nodes, dot-joined.
std::string dotted_name(const nlohmann::json& list);
}  // namespace pgtree

}  // namespace migrate
