#include "libmigrate/history/backfill_checkpoint.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace migrate {

std::optional<BackfillCheckpoint> read_backfill_checkpoint(const Attempt& attempt) {
  if (!attempt.checkpoint || attempt.checkpoint->find("\"backfill\"") == std::string::npos)
    return std::nullopt;
  const auto json = nlohmann::json::parse(*attempt.checkpoint, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  const auto b = json.find("backfill");
  if (b == json.end() || !b->is_object()) return std::nullopt;
  BackfillCheckpoint out;
  auto integer = [&](const char* key) -> std::int64_t {
    auto it = b->find(key);
    return it != b->end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  out.statement = static_cast<int>(integer("statement"));
  if (out.statement < 1) return std::nullopt;
  if (auto t = b->find("table"); t != b->end() && t->is_string()) out.table = t->get<std::string>();
  if (auto a = b->find("after"); a != b->end() && a->is_array()) {
    for (const auto& v : *a) {
      if (!v.is_string()) return std::nullopt;
      out.after.push_back(v.get<std::string>());
    }
  }
  out.rows = integer("rows");
  out.batches = integer("batches");
  out.elapsed_ms = integer("elapsed_ms");
  if (auto e = b->find("rows_estimated"); e != b->end() && e->is_number())
    out.rows_estimated = e->get<double>();
  if (auto f = b->find("finished"); f != b->end() && f->is_boolean()) out.finished = f->get<bool>();
  return out;
}

std::string write_backfill_checkpoint(const BackfillCheckpoint& c) {
  nlohmann::json b{{"statement", c.statement}, {"table", c.table},     {"after", c.after},
                   {"rows", c.rows},           {"batches", c.batches}, {"elapsed_ms", c.elapsed_ms},
                   {"finished", c.finished}};
  if (c.rows_estimated) b["rows_estimated"] = *c.rows_estimated;
  return nlohmann::json{{"backfill", std::move(b)}}.dump();
}

std::optional<BackfillStatus> backfill_status(const Attempt& attempt) {
  auto c = read_backfill_checkpoint(attempt);
  if (!c) return std::nullopt;
  return backfill_status(*c);
}

BackfillStatus backfill_status(const BackfillCheckpoint& checkpoint) {
  BackfillStatus s;
  s.statement = checkpoint.statement;
  s.table = checkpoint.table;
  s.after = checkpoint.after;
  s.rows_done = checkpoint.rows;
  s.batches = checkpoint.batches;
  s.elapsed_ms = checkpoint.elapsed_ms;
  s.rows_estimated = checkpoint.rows_estimated;
  s.finished = checkpoint.finished;
  if (checkpoint.elapsed_ms > 0)
    s.rows_per_second =
        static_cast<double>(checkpoint.rows) * 1000.0 / static_cast<double>(checkpoint.elapsed_ms);
  if (checkpoint.rows_estimated && s.rows_per_second > 0)
    s.eta_seconds =
        std::max(0.0, (*checkpoint.rows_estimated - static_cast<double>(checkpoint.rows)) /
                          s.rows_per_second);
  return s;
}

}  // namespace migrate
