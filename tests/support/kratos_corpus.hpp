// The Ory Kratos corpus in ../shared/corpora/kratos (Apache-2.0): its manifest, and its files
// linked into a workspace under the names libmigrate expects.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_workspace.hpp"

namespace migrate::testing {

std::filesystem::path kratos_corpus_dir();  // MIGRATE_SHARED_DIR/corpora/kratos

struct KratosManifestRow {
  std::string version, name, direction, file;
  bool autocommit = false;
  bool empty = false;
};

// manifest.<dialect>.tsv: order, version, name, direction, source_dialect, autocommit, empty, file.
// `dialect` is "sqlite" or "postgres".
std::vector<KratosManifestRow> read_kratos_manifest(const std::string& dialect);

// Kratos names files `<version>_<name>[.<dialect>][.autocommit].<up|down>.sql`; libmigrate wants
// `V<version>__<name>.<up|down>.sql`. The files are symlinked, never copied or changed.
void link_kratos_corpus(const TestWorkspace& ws, const std::string& dialect,
                        const std::vector<KratosManifestRow>& rows);

}  // namespace migrate::testing
