#include "cli/sqlite_memory_statistics.hpp"

#include <sqlite3.h>

namespace migrate::cli {

bool turn_off_sqlite_memory_statistics() {
  return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
}

}  // namespace migrate::cli
