# libpg_query (Debian: libpg-query-dev) ships no CMake or pkg-config files.
# Defines pg_query::pg_query.
# Its protobuf schema header (pg_query/pg_query.pb-c.h) includes protobuf-c's runtime header
# (Debian: libprotobuf-c-dev); the runtime itself is inside libpg_query.
find_path(PG_QUERY_INCLUDE_DIR pg_query.h)
find_path(PG_QUERY_PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h)
find_library(PG_QUERY_LIBRARY NAMES pg_query)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(pg_query REQUIRED_VARS PG_QUERY_LIBRARY PG_QUERY_INCLUDE_DIR
                                  PG_QUERY_PROTOBUF_C_INCLUDE_DIR)
if(pg_query_FOUND AND NOT TARGET pg_query::pg_query)
  add_library(pg_query::pg_query UNKNOWN IMPORTED)
  set_target_properties(pg_query::pg_query PROPERTIES
    IMPORTED_LOCATION "${PG_QUERY_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PG_QUERY_INCLUDE_DIR};${PG_QUERY_PROTOBUF_C_INCLUDE_DIR}")
endif()
mark_as_advanced(PG_QUERY_INCLUDE_DIR PG_QUERY_PROTOBUF_C_INCLUDE_DIR PG_QUERY_LIBRARY)
