// SQLite's memory statistics in the `migrate` process: off.
#pragma once

namespace migrate::cli {

// Turns SQLite's memory statistics off (SQLITE_CONFIG_MEMSTATUS) for the whole process. With
// them on, every allocation SQLite makes takes and releases a global mutex to count it: 12% of the
// instructions of a SQLite `lint`, which parses every statement into an in-memory copy
// (docs/benchmarks.md). Nothing in migrate reads the statistics (sqlite3_memory_used, the soft
// heap limit). Called once, first thing in main, before SQLite is initialised: it is a
// process-wide setting, so only the program makes it, never libmigrate. Returns false when SQLite
// refused it (already initialised); the statistics then stay on, which changes nothing else.
bool turn_off_sqlite_memory_statistics();

}  // namespace migrate::cli
