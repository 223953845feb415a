// libmigrate's binding of the PostgreSQL driver: the one linked in with it. (The migrate CLI
// binds a module instead: cli/postgres_module.cpp.)
#include "libmigrate/backend/postgres_driver.hpp"

namespace migrate {

const PostgresDriver& postgres_driver() {
  return linked_postgres_driver();
}

}  // namespace migrate
