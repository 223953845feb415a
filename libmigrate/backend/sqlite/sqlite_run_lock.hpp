// The SQLite run lock: an exclusive flock(2) on a file beside the database
// ("<database>-migrate-lock"). SQLite's own write lock only lives as long as a transaction, so
// between the statements of a `transaction off` step nothing would keep a second runner out;
// this lock is held for the whole run and the kernel drops it when the process dies, so a
// runner that can take it knows every earlier run is gone.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "migrate/history.hpp"

namespace migrate {

class SqliteRunLock {
 public:
  explicit SqliteRunLock(std::string path) : path_(std::move(path)) {}
  ~SqliteRunLock() { release(); }
  SqliteRunLock(const SqliteRunLock&) = delete;
  SqliteRunLock& operator=(const SqliteRunLock&) = delete;

  // Polls for the lock until `wait` has passed, then throws kRunInProgress naming the holder
  // (pid, host, application, since). Writes this process's description into the file.
  void acquire(std::chrono::milliseconds wait, const std::string& application);
  void release() noexcept;

  // The process holding the lock now (read from the file while it is locked); empty if free or
  // if the file does not exist. Never creates the file.
  std::vector<DatabaseSession> holders() const;

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace migrate
