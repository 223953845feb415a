#include "libmigrate/backend/sqlite/sqlite_run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <thread>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/timestamp.hpp"

namespace migrate {
namespace {

std::string read_all(int fd) {
  std::string out;
  std::array<char, 512> buf{};
  lseek(fd, 0, SEEK_SET);
  ssize_t n;
  while ((n = read(fd, buf.data(), buf.size())) > 0)
    out.append(buf.data(), static_cast<std::size_t>(n));
  return out;
}

// The file holds one line: "pid<TAB>host<TAB>application<TAB>since".
DatabaseSession parse_holder(const std::string& text) {
  DatabaseSession s;
  std::istringstream in(text);
  std::string pid;
  std::getline(in, pid, '\t');
  std::getline(in, s.client_addr, '\t');
  std::getline(in, s.application_name, '\t');
  std::getline(in, s.backend_start, '\n');
  try {
    s.pid = std::stoi(pid);
  } catch (const std::exception&) {
    s.pid = 0;
  }
  s.state = "running";
  s.lock = "migration lock";
  s.role = "run lock holder";
  return s;
}

std::string describe(const DatabaseSession& s) {
  if (s.pid == 0) return "another process";
  return fmt::format("pid {} ({}, on {}, since {})", s.pid, s.application_name, s.client_addr,
                     s.backend_start);
}

}  // namespace

void SqliteRunLock::acquire(std::chrono::milliseconds wait, const std::string& application) {
  if (fd_ >= 0) return;
  int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS)) {
    fail(ErrorCode::kReadOnlyDatabase,
         fmt::format("cannot create the migration lock file {}: {}", path_, std::strerror(errno)),
         "apply and rollback create this file beside the database, and SQLite its journal: make "
         "the database's directory writable for the user running migrate; nothing was applied");
  }
  if (fd < 0) {
    fail(ErrorCode::kConnectionFailed,
         fmt::format("cannot open the migration lock file {}: {}", path_, std::strerror(errno)),
         "the directory of the database must be writable for migrate apply and rollback");
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int err = errno;
      close(fd);
      fail(ErrorCode::kConnectionFailed,
           fmt::format("cannot lock {}: {}", path_, std::strerror(err)),
           "the file system of the database must support flock(2)");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string who = describe(parse_holder(read_all(fd)));
      close(fd);
      fail(ErrorCode::kRunInProgress,
           fmt::format("a migration run is in progress: {} holds the migration lock {}; waited "
                       "{} ms",
                       who, path_, wait.count()),
           "wait for that run to finish (`migrate status` shows it), or raise --lock-wait");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::string line =
      fmt::format("{}\t{}\t{}\t{}\n", getpid(), host.data(), application, utc_timestamp());
  if (ftruncate(fd, 0) == 0) {
    lseek(fd, 0, SEEK_SET);
    // Only informative (status names the holder): a short write changes nothing about the lock.
    [[maybe_unused]] auto written = write(fd, line.data(), line.size());
  }
  fd_ = fd;
}

void SqliteRunLock::release() noexcept {
  if (fd_ < 0) return;
  // The file stays: removing it would let a waiter lock the unlinked inode while a newcomer
  // locks a new file.
  flock(fd_, LOCK_UN);
  close(fd_);
  fd_ = -1;
}

std::vector<DatabaseSession> SqliteRunLock::holders() const {
  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::vector<DatabaseSession> out;
  if (fd_ < 0 && flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);  // free
  } else {
    out.push_back(parse_holder(read_all(fd)));
  }
  close(fd);
  return out;
}

}  // namespace migrate
