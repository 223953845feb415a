// Migrates a SQLite database to the newest version at start-up, as a service would.
#include <migrate/migrator.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: consumer MIGRATIONS_DIR DATABASE_FILE\n";
    return 2;
  }
  migrate::Options options;
  options.migrations_dir = argv[1];
  options.database_url = std::string("sqlite:") + argv[2];
  // A fresh database no deployed code uses: expand and contract migrations run together.
  options.phase = migrate::PhaseScope::kAll;
  migrate::Migrator migrator(options);
  migrate::RunReport report = migrator.apply(std::nullopt);
  if (report.error) {
    std::cerr << report.error->describe() << "\n";
    return 1;
  }
  auto status = migrator.status();
  if (!status) {
    std::cerr << status.error().describe() << "\n";
    return 1;
  }
  for (const auto& s : *status) {
    if (s.state != migrate::State::kApplied) {
      std::cerr << "version " << s.version << " is " << migrate::to_string(s.state) << "\n";
      return 1;
    }
  }
  std::cout << "applied " << report.steps.size() << " migration(s); " << status->size()
            << " in total\n";
  return 0;
}
