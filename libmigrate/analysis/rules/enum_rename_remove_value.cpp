// enum-rename-remove-value (catalog PG-TYP-02): renaming an enum value, or recreating the enum
// without one of its values, breaks every app version and row that still uses the old value.
#include <set>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

// "public.mood" and "mood" are the same type unless another search_path is set.
std::string type_key(std::string name) {
  if (name.starts_with("public.")) name.erase(0, 7);
  return name;
}

// The values this analysed set gave each enum are remembered as "enum-value:<type>:<value>".
// They stay after DROP TYPE or RENAME TO, so a type recreated under the same name is compared
// with what it had.
std::string value_prefix(const std::string& type) {
  return "enum-value:" + type + ":";
}

std::vector<std::string> known_values(const PgMigrationContext& ctx, const std::string& type) {
  std::vector<std::string> out;
  const std::string prefix = value_prefix(type);
  auto& facts = ctx.plan_facts();
  for (auto it = facts.lower_bound(prefix); it != facts.end() && it->starts_with(prefix); ++it)
    out.push_back(it->substr(prefix.size()));
  return out;
}

void forget_values(const PgMigrationContext& ctx, const std::string& type) {
  const std::string prefix = value_prefix(type);
  auto& facts = ctx.plan_facts();
  auto it = facts.lower_bound(prefix);
  while (it != facts.end() && it->starts_with(prefix)) it = facts.erase(it);
}

std::vector<std::string> string_list(const nlohmann::json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) out.push_back(pgtree::text(pgtree::child(item, "String"), "sval"));
  return out;
}

std::string quoted_list(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "'" : ", '") + v + "'";
  return out;
}

class EnumRenameRemoveValue final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "enum-rename-remove-value",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kBreaking,
        LockLevel::kNone,
        "Renaming an enum value (ALTER TYPE ... RENAME VALUE) makes every running app version "
        "that reads or writes the old label fail at once. PostgreSQL cannot remove a value: "
        "doing it means recreating the type and converting every column that uses it (ALTER "
        "COLUMN ... TYPE, which rewrites each table under ACCESS EXCLUSIVE), and rows holding "
        "the removed value fail the conversion.",
        "Expand and contract: ALTER TYPE ... ADD VALUE the new label (its own step), deploy code "
        "that accepts both and writes the new one, backfill rows in batches, then leave the old "
        "label unused. For values that change often, a lookup table is easier than an enum.",
        "ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';",
        "ALTER TYPE order_status ADD VALUE 'cancelled' AFTER 'canceled';\n"
        "-- deploy code that reads both and writes 'cancelled', then in batches:\n"
        "UPDATE orders SET status = 'cancelled' WHERE status = 'canceled' AND id BETWEEN 1 AND "
        "10000;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    const std::string& t = facts.info.node_type;
    if (t == "AlterEnumStmt") {
      const std::string written = pgtree::dotted_name(pgtree::child(node, "typeName"));
      const std::string type = type_key(written);
      const std::string old_value = pgtree::text(node, "oldVal");
      const std::string new_value = pgtree::text(node, "newVal");
      if (new_value.empty()) return;
      if (!old_value.empty()) {
        if (!created_earlier_in_migration(ctx, type)) {
          sink.report(
              info(),
              "ALTER TYPE " + written + " RENAME VALUE '" + old_value + "' TO '" + new_value +
                  "': app versions that use '" + old_value + "' fail as soon as it commits",
              "ALTER TYPE " + written + " ADD VALUE '" + new_value + "' AFTER '" + old_value +
                  "' as its own step; deploy code that accepts both and writes '" + new_value +
                  "'; backfill rows from '" + old_value + "' in batches; leave '" + old_value +
                  "' unused");
        }
        ctx.plan_facts().erase(value_prefix(type) + old_value);
      }
      ctx.plan_facts().insert(value_prefix(type) + new_value);
    } else if (t == "CreateEnumStmt") {
      const std::string written = pgtree::dotted_name(pgtree::child(node, "typeName"));
      const std::string type = type_key(written);
      const std::vector<std::string> values = string_list(pgtree::child(node, "vals"));
      const std::set<std::string> now(values.begin(), values.end());
      std::vector<std::string> removed;
      for (const auto& v : known_values(ctx, type))
        if (!now.count(v)) removed.push_back(v);
      if (!removed.empty()) {
        const std::string them = removed.size() > 1 ? "them" : "it";
        sink.report(info(),
                    "CREATE TYPE " + written + " recreates the enum without " +
                        quoted_list(removed) + ", which it had: rows holding " + them +
                        " fail the column conversion, app versions that use " + them +
                        " break, and converting each column (ALTER COLUMN ... TYPE " + written +
                        ") rewrites its table under ACCESS EXCLUSIVE",
                    "keep the type and its values: deploy code that stops writing " +
                        quoted_list(removed) +
                        ", backfill those rows to other values in "
                        "batches, and leave the unused labels in the type (or move to a lookup "
                        "table)");
      }
      forget_values(ctx, type);
      for (const auto& v : values) ctx.plan_facts().insert(value_prefix(type) + v);
    } else if (t == "RenameStmt" && pgtree::text(node, "renameType") == "OBJECT_TYPE") {
      // ALTER TYPE a RENAME TO b: b keeps a's values; a's stay as history for a recreated a.
      std::vector<std::string> parts =
          string_list(pgtree::child(pgtree::child(pgtree::child(node, "object"), "List"), "items"));
      if (parts.empty()) return;
      std::string old_written;
      for (const auto& p : parts) old_written += (old_written.empty() ? "" : ".") + p;
      std::string new_written = pgtree::text(node, "newname");
      if (parts.size() > 1) {
        parts.back() = new_written;
        new_written.clear();
        for (const auto& p : parts) new_written += (new_written.empty() ? "" : ".") + p;
      }
      const std::string from = type_key(old_written), to = type_key(new_written);
      const std::vector<std::string> values = known_values(ctx, from);
      if (values.empty()) return;
      forget_values(ctx, to);
      for (const auto& v : values) ctx.plan_facts().insert(value_prefix(to) + v);
    }
  }

 private:
  // A type created earlier in this migration is not visible to any running app yet.
  static bool created_earlier_in_migration(const PgMigrationContext& ctx, const std::string& type) {
    for (const PgStatementInfo* s : ctx.earlier_in_migration()) {
      if (s->node_type == "CreateEnumStmt" &&
          type_key(pgtree::dotted_name(pgtree::child(s->node, "typeName"))) == type) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<PgRule> make_enum_rename_remove_value() {
  return std::make_unique<EnumRenameRemoveValue>();
}

}  // namespace migrate
