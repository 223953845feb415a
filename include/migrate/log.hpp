// How the library reports progress: through a sink the caller passes in Options::log.
#pragma once

#include <functional>
#include <string>

namespace migrate {

// kDebug: detail for diagnosing a run; kInfo: progress (a step starts or ends, a wait begins);
// kWarn: something the operator should look at while the call goes on (a retry, a reconnect, a
// catalog probe given up). The error that ends a call comes back as an Error value.
enum class LogLevel { kDebug, kInfo, kWarn };

// Where the library's progress messages go. The library has no logger of its own (no global
// state): a service passes its own sink; without one, nothing is logged. The sink is called
// synchronously, on the thread that called the library, with one message (possibly of several
// lines) from which the database URL's secrets are removed. One exception: while a PostgreSQL
// statement has waited for a lock for 5 s or more, the "still waiting ... blocked by" lines (every
// 5 s) come from the run's lock-watch thread, while the calling thread is blocked in that
// statement. It must not throw, and should return
// quickly: a run may hold the migration lock and an open transaction meanwhile. Calls from
// several threads (const members of one Migrator, or Migrators sharing a sink) call it from
// each of them: such a sink must be thread-safe.
using LogSink = std::function<void(LogLevel, const std::string& message)>;

}  // namespace migrate
