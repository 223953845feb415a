#include "libmigrate/history/statement_checkpoint.hpp"

#include <nlohmann/json.hpp>

namespace migrate {

std::optional<StatementCheckpoint> read_statement_checkpoint(const Attempt& attempt) {
  if (!attempt.checkpoint || attempt.checkpoint->empty()) return std::nullopt;
  const auto json = nlohmann::json::parse(*attempt.checkpoint, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  auto sent = json.find("sent");
  if (sent == json.end() || !sent->is_number_integer() || sent->get<int>() < 1) return std::nullopt;
  StatementCheckpoint out;
  out.sent = sent->get<int>();
  if (auto before = json.find("indexes_before"); before != json.end() && before->is_array())
    for (const auto& name : *before)
      if (name.is_string()) out.indexes_before.push_back(name.get<std::string>());
  return out;
}

std::string write_statement_checkpoint(const StatementCheckpoint& checkpoint) {
  nlohmann::json json{{"sent", checkpoint.sent}};
  if (!checkpoint.indexes_before.empty()) json["indexes_before"] = checkpoint.indexes_before;
  return json.dump();
}

}  // namespace migrate
