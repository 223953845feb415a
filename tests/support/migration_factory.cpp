#include "support/migration_factory.hpp"

#include <stdexcept>

namespace migrate::testing {

Migration make_migration(const std::string& version, const std::string& name,
                         const std::string& up_sql, const std::optional<std::string>& down_sql) {
  auto v = Version::parse(version);
  if (!v) throw std::runtime_error("test setup: bad version " + version);
  Migration m;
  m.version = *v;
  m.name = name;
  m.up = MigrationFile{"migrations/V" + version + "__" + name + ".up.sql", up_sql,
                       checksum_v1(up_sql)};
  auto d = parse_directives(up_sql, m.up.path.string());
  if (!d) throw std::runtime_error("test setup: " + d.error().describe());
  m.directives = d.value();
  if (down_sql) {
    m.down = MigrationFile{"migrations/V" + version + "__" + name + ".down.sql", *down_sql,
                           checksum_v1(*down_sql)};
    auto dd = parse_directives(*down_sql, m.down->path.string());
    if (!dd) throw std::runtime_error("test setup: " + dd.error().describe());
    m.down_directives = dd.value();
  }
  return m;
}

}  // namespace migrate::testing
