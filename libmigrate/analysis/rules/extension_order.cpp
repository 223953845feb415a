// extension-order (scenario S2): CREATE EXTENSION e fails when an extension e requires is neither
// installed nor created before it; checked against pg_available_extension_versions.requires.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

// "extension:<name>": created by a statement of the analysed set (recorded here).
// "installed-extension:<name>": already installed on the server (from the catalog, when known).
bool available(const PgMigrationContext& ctx, const std::string& extension) {
  const auto& facts = ctx.plan_facts();
  return facts.count("extension:" + extension) > 0 ||
         facts.count("installed-extension:" + extension) > 0;
}

// CREATE EXTENSION ... CASCADE installs what the extension requires, and what those require.
void note_with_requirements(const PgMigrationContext& ctx, const std::string& extension,
                            int depth = 0) {
  ctx.plan_facts().insert("extension:" + extension);
  if (depth > 32) return;  // a cycle in the server's metadata
  auto it = ctx.options().extension_requires.find(extension);
  if (it == ctx.options().extension_requires.end()) return;
  for (const auto& r : it->second)
    if (!available(ctx, r)) note_with_requirements(ctx, r, depth + 1);
}

class ExtensionOrder final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "extension-order",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "CREATE EXTENSION fails (\"required extension ... is not installed\") when an extension "
        "it requires is not installed yet, leaving the migration half applied if earlier steps "
        "committed. What each extension requires comes from the server "
        "(pg_available_extension_versions.requires), so the rule is silent without a connection "
        "(no AnalysisOptions.extension_requires).",
        "Create the required extensions first, in dependency order (CREATE EXTENSION IF NOT "
        "EXISTS cube; then CREATE EXTENSION IF NOT EXISTS earthdistance;), or let PostgreSQL do "
        "it with CREATE EXTENSION ... CASCADE. The extension's files must be installed on every "
        "server, read replicas included: the catalog entry replicates, the library does not.",
        "CREATE EXTENSION earthdistance;\nCREATE EXTENSION cube;",
        "CREATE EXTENSION IF NOT EXISTS cube;\nCREATE EXTENSION IF NOT EXISTS earthdistance;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    if (facts.info.node_type == "DropStmt" &&
        pgtree::text(node, "removeType") == "OBJECT_EXTENSION") {
      const auto& objects = pgtree::child(node, "objects");
      if (!objects.is_array()) return;
      for (const auto& o : objects) {
        const std::string name = pgtree::text(pgtree::child(o, "String"), "sval");
        ctx.plan_facts().erase("extension:" + name);
        ctx.plan_facts().erase("installed-extension:" + name);
      }
      return;
    }
    if (facts.info.node_type != "CreateExtensionStmt") return;
    const std::string extension = pgtree::text(node, "extname");
    bool cascade = false;
    const auto& options = pgtree::child(node, "options");
    if (options.is_array()) {
      for (const auto& o : options) {
        const auto& def = pgtree::child(o, "DefElem");
        if (pgtree::text(def, "defname") == "cascade")
          cascade = !def.contains("arg") ||
                    pgtree::flag(pgtree::child(pgtree::child(def, "arg"), "Boolean"), "boolval");
      }
    }
    if (cascade) {
      note_with_requirements(ctx, extension);
      return;
    }
    auto it = ctx.options().extension_requires.find(extension);
    if (it != ctx.options().extension_requires.end()) {
      std::vector<std::string> missing;
      for (const auto& r : it->second)
        if (!available(ctx, r)) missing.push_back(r);
      if (!missing.empty()) {
        std::string names, steps;
        for (const auto& m : missing) {
          names += (names.empty() ? "" : ", ") + m;
          steps += "CREATE EXTENSION IF NOT EXISTS " + m + "; ";
        }
        sink.report(info(),
                    extension + " requires " + names + ", which " +
                        (missing.size() > 1 ? "are" : "is") +
                        " created later or not at all (not before it in these migrations, and "
                        "not known to be installed): CREATE EXTENSION " +
                        extension + " fails",
                    steps + "before CREATE EXTENSION IF NOT EXISTS " + extension +
                        "; (or CREATE EXTENSION " + extension + " CASCADE)");
      }
    }
    ctx.plan_facts().insert("extension:" + extension);
  }
};

}  // namespace

std::unique_ptr<PgRule> make_extension_order() {
  return std::make_unique<ExtensionOrder>();
}

}  // namespace migrate
