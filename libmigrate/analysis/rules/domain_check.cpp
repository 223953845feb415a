// domain-check (catalog PG-CON-09): a constraint on a domain is checked against every column of
// every table using the domain, a hidden scan that no statement names; prefer column CHECKs.
#include <fmt/format.h>

#include <string>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;
using namespace pgtree;

class DomainCheck final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "domain-check", Dialect::kPostgres, Severity::kWarning, MigrationClass::kAdditive,
        // ALTER DOMAIN ... ADD CONSTRAINT / SET NOT NULL: SHARE on every table using the domain.
        LockLevel::kShare,
        "A constraint on a domain hides work: ALTER DOMAIN ... ADD CONSTRAINT (and SET NOT NULL) "
        "scans every column of every table that uses the domain, holding SHARE on each table so "
        "writes wait, and no statement names those tables; converting a column to a constrained "
        "domain later rechecks or rewrites it; VALIDATE of a NOT VALID domain constraint scans "
        "them all again.",
        "Keep domains unconstrained and put the rule on the columns as CHECK constraints (added "
        "NOT VALID, validated in a later migration), where each scan is visible, per table, and "
        "can be done online.",
        "CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');",
        "ALTER TABLE users ADD CONSTRAINT users_email_format CHECK (email LIKE '%@%') NOT VALID;\n"
        "-- in a later migration:\n"
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_format;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const Json& node = facts.info.node;
    if (facts.info.node_type == "CreateDomainStmt") {
      for (const Json* con : constraints_in(child(node, "constraints"))) {
        if (text(*con, "contype") != "CONSTR_CHECK") continue;
        const std::string domain = dotted_name(child(node, "domainname"));
        sink.report(info(), fmt::format("CREATE DOMAIN {} with a CHECK: every later ALTER DOMAIN "
                                        "constraint change, and every column converted to {}, "
                                        "checks all the rows of the tables using it",
                                        domain, domain));
        return;
      }
    } else if (facts.info.node_type == "AlterDomainStmt") {
      const std::string subtype = text(node, "subtype");
      const std::string domain = dotted_name(child(node, "typeName"));
      if (subtype == "C") {
        const Json& con = child(child(node, "def"), "Constraint");
        const std::string name = text(con, "conname");
        const std::string what = "ALTER DOMAIN " + domain + " ADD CONSTRAINT" +
                                 (name.empty() ? std::string() : " " + name);
        sink.report(info(),
                    flag(con, "skip_validation")
                        ? fmt::format("{} NOT VALID: its VALIDATE will scan every column of "
                                      "every table using {}, under SHARE on each",
                                      what, domain)
                        : fmt::format("{} scans every column of every table using {} while "
                                      "holding SHARE on each table: writes to them wait",
                                      what, domain));
      } else if (subtype == "O") {  // SET NOT NULL ("N" is DROP NOT NULL)
        sink.report(info(), fmt::format("ALTER DOMAIN {} SET NOT NULL scans every column of every "
                                        "table using {} while holding SHARE on each table: "
                                        "writes to them wait",
                                        domain, domain));
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_domain_check() {
  return std::make_unique<DomainCheck>();
}

}  // namespace migrate
