// disabled-lock-timeout (PG-TX-01) and disabled-statement-timeout (PG-TX-02), as they apply to
// plain SQL: a migration that turns lock_timeout or statement_timeout off (0, DEFAULT, RESET)
// asks for unbounded lock waits or run times. One family: the same detection of a SET, RESET or
// set_config() of one setting.
#include <cctype>
#include <cstdlib>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// True when a constant (A_Const) is zero in any unit: 0, '0', '0s', '0ms', 0.0.
bool is_zero_constant(const Json& value) {
  const Json& c = pgtree::child(value, "A_Const");
  if (c.is_null()) return false;
  if (c.contains("ival")) {
    const Json& i = pgtree::child(c["ival"], "ival");
    return !i.is_number() || i.get<long long>() == 0;  // libpg_query leaves out a zero
  }
  std::string number;
  if (c.contains("fval")) number = pgtree::text(c["fval"], "fval");
  if (c.contains("sval")) number = pgtree::text(c["sval"], "sval");
  if (number.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(number.c_str(), &end);
  if (end == number.c_str()) return false;  // not a number at all
  for (; *end != '\0'; ++end)               // the rest may only be a unit: "ms", " s", "min"
    if (!std::isalpha(static_cast<unsigned char>(*end)) && *end != ' ') return false;
  return v == 0;
}

// How the statement turns `setting` off, or "" when it does not.
std::string disables(const PgStatementInfo& info, const std::string& setting) {
  const Json& node = info.node;
  if (info.node_type == "VariableSetStmt") {
    const std::string kind = pgtree::text(node, "kind");
    if (kind == "VAR_RESET_ALL") return "RESET ALL";
    if (pgtree::text(node, "name") != setting) return {};
    const std::string scope = pgtree::flag(node, "is_local") ? "SET LOCAL " : "SET ";
    if (kind == "VAR_RESET") return "RESET " + setting;
    if (kind == "VAR_SET_DEFAULT") return scope + setting + " TO DEFAULT";
    if (kind == "VAR_SET_VALUE") {
      const Json& args = pgtree::child(node, "args");
      if (args.is_array() && !args.empty() && is_zero_constant(args[0]))
        return scope + setting + " = 0";
    }
    return {};
  }
  if (info.node_type == "SelectStmt") {  // SELECT set_config('lock_timeout', '0', ...)
    for (const auto& target : pgtree::child(node, "targetList")) {
      const Json& call =
          pgtree::child(pgtree::child(pgtree::child(target, "ResTarget"), "val"), "FuncCall");
      const Json& args = pgtree::child(call, "args");
      std::string name = pgtree::dotted_name(pgtree::child(call, "funcname"));
      if ((name != "set_config" && name != "pg_catalog.set_config") || !args.is_array() ||
          args.size() < 2)
        continue;
      const Json& first = pgtree::child(args[0], "A_Const");
      if (pgtree::text(pgtree::child(first, "sval"), "sval") == setting &&
          is_zero_constant(args[1]))
        return "set_config('" + setting + "', '0', ...)";
    }
  }
  return {};
}

class DisabledLockTimeout final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "disabled-lock-timeout",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "Turning lock_timeout off (0, DEFAULT, RESET) asks for lock waits without a bound: a DDL "
        "statement stuck behind a long transaction then queues every later query on its table "
        "until that transaction ends. libmigrate sets lock_timeout itself before every statement "
        "(and retries on timeout), so the SET does not even reach the migration's later "
        "statements; it only leaks into the session.",
        "Remove the SET. If a migration really needs a different lock wait, say so with the "
        "`-- migrate:lock-timeout 5s` directive, which libmigrate applies to every statement of "
        "the migration.",
        "SET lock_timeout = 0;\nALTER TABLE orders ADD COLUMN note text;",
        "-- migrate:lock-timeout 2s\nALTER TABLE orders ADD COLUMN note text;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const std::string how = disables(facts.info, "lock_timeout");
    if (how.empty()) return;
    sink.report(info(),
                how +
                    " turns off the bound on lock waits: a statement stuck behind another "
                    "transaction's lock would queue every query on its table; libmigrate "
                    "already sets lock_timeout for each statement",
                "remove it; use the `-- migrate:lock-timeout <duration>` directive to change the "
                "lock wait for this migration");
  }
};

class DisabledStatementTimeout final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "disabled-statement-timeout",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "Turning statement_timeout off (0, DEFAULT, RESET) lets a runaway statement run, and "
        "hold its locks, without bound. libmigrate sets statement_timeout itself before every "
        "statement (5 minutes inside a transaction unless configured), so the SET does not even "
        "reach the migration's later statements; it only leaks into the session.",
        "Remove the SET. If a migration needs more time, say so with the "
        "`-- migrate:statement-timeout 30min` directive; statements that block nobody (CREATE "
        "INDEX CONCURRENTLY, VACUUM) run on their own without a limit by default.",
        "SET statement_timeout = 0;\nUPDATE orders SET status = 'new' WHERE status IS NULL;",
        "-- migrate:statement-timeout 30min\nUPDATE orders SET status = 'new' WHERE status IS "
        "NULL;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const std::string how = disables(facts.info, "statement_timeout");
    if (how.empty()) return;
    sink.report(info(),
                how +
                    " turns off the limit on statement run time: a runaway statement would "
                    "hold its locks until someone cancels it; libmigrate already sets "
                    "statement_timeout for each statement",
                "remove it; use the `-- migrate:statement-timeout <duration>` directive to give "
                "this migration more time");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_disabled_lock_timeout() {
  return std::make_unique<DisabledLockTimeout>();
}

std::unique_ptr<PgRule> make_disabled_statement_timeout() {
  return std::make_unique<DisabledStatementTimeout>();
}

}  // namespace migrate
