// The lock tracer is the PostgreSQL driver's (postgres/postgres_lock_tracer.cpp).
#include "libmigrate/backend/lock_tracer.hpp"

#include "libmigrate/backend/postgres_driver.hpp"

namespace migrate {

std::unique_ptr<LockTracer> LockTracer::open(const std::string& url, const Settings& settings) {
  return postgres_driver().open_lock_tracer(url, settings);
}

}  // namespace migrate
