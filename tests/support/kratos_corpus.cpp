#include "support/kratos_corpus.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace migrate::testing {

std::filesystem::path kratos_corpus_dir() {
  return std::filesystem::path(MIGRATE_SHARED_DIR) / "corpora/kratos";
}

std::vector<KratosManifestRow> read_kratos_manifest(const std::string& dialect) {
  auto path = kratos_corpus_dir() / ("manifest." + dialect + ".tsv");
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("the shared corpus is missing: " + path.string() +
                             " (set MIGRATE_SHARED_DIR)");
  std::vector<KratosManifestRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() != 8) throw std::runtime_error("bad manifest line: " + line);
    rows.push_back({cols[1], cols[2], cols[3], cols[7], cols[5] == "1", cols[6] == "1"});
  }
  return rows;
}

void link_kratos_corpus(const TestWorkspace& ws, const std::string& dialect,
                        const std::vector<KratosManifestRow>& rows) {
  for (const auto& r : rows) {
    std::filesystem::create_symlink(
        kratos_corpus_dir() / dialect / r.file,
        ws.migrations() / ("V" + r.version + "__" + r.name + "." + r.direction + ".sql"));
  }
}

}  // namespace migrate::testing
