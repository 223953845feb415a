// The PostgreSQL driver's functions (postgres_driver.hpp): the backend, the lock tracer, and
// libpq's reading of connection strings.
#include "libmigrate/backend/postgres_driver.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

std::unique_ptr<Backend> open_postgres_backend(const std::string& url,
                                               const BackendOptions& options);
std::unique_ptr<LockTracer> open_postgres_lock_tracer(const std::string& url,
                                                      const LockTracer::Settings& settings);

namespace {

std::vector<ConnectionParameter> connection_parameters(const std::string& url) {
  char* message = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &message);
  if (!options) {
    std::string why = message ? message : "out of memory";
    if (message) PQfreemem(message);
    fail(ErrorCode::kUsage,
         fmt::format("the database URL cannot be read: {}", redact_secrets(why, url)),
         "give a PostgreSQL URL (postgresql://...) or key=value connection string");
  }
  std::vector<ConnectionParameter> out;
  for (PQconninfoOption* o = options; o->keyword; ++o)
    if (o->val && *o->val) out.push_back({o->keyword, o->envvar ? o->envvar : "", o->val});
  PQconninfoFree(options);
  return out;
}

constexpr PostgresDriver kDriver{&open_postgres_backend, &open_postgres_lock_tracer,
                                 &connection_parameters};

}  // namespace

const PostgresDriver& linked_postgres_driver() {
  return kDriver;
}

}  // namespace migrate
