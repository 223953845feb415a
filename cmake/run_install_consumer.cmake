# Installs the build tree into a scratch prefix and checks that the installed tree works the
# three ways users build against it, failing on any step:
# - tests/install_consumer with find_package(libmigrate), run on the SQLite demo;
# - examples/service standalone (find_package + migrate_embed), started in each mode on a
#   scratch SQLite file, whose history the installed CLI then validates against the directory;
# - tests/install_consumer/consumer.cpp compiled with g++ and `pkg-config libmigrate` alone;
# and that the installed CLI finds its PostgreSQL module.
#
# -D variables: BUILD_DIR, CONSUMER_DIR, WORK_DIR, DEMO_DIR, EXAMPLE_DIR (examples/service);
# optional CXX_COMPILER (default: g++ from PATH).
foreach(required BUILD_DIR CONSUMER_DIR WORK_DIR DEMO_DIR EXAMPLE_DIR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "run_install_consumer.cmake: -D${required}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

# Like run_step, and sets ${out_var} to the command's standard output.
function(run_step_output out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

run_step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(installed bin/migrate include/migrate/migrator.hpp
                  lib/cmake/libmigrate/libmigrateConfig.cmake
                  lib/cmake/libmigrate/libmigrateEmbed.cmake
                  lib/cmake/libmigrate/migrate_embed_generate.cmake)
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "cmake --install did not install ${installed}")
  endif()
endforeach()

# The CLI's PostgreSQL module, found from the installed executable: nothing listens on port 1, so
# a loaded module fails to connect (CONNECTION_FAILED, exit 11); a missing one would be
# UNSUPPORTED_DATABASE (exit 12).
file(GLOB_RECURSE installed_module "${prefix}/*/libmigrate/migrate_postgres.so")
if(NOT installed_module)
  message(FATAL_ERROR "cmake --install did not install LIBDIR/libmigrate/migrate_postgres.so")
endif()
execute_process(COMMAND "${prefix}/bin/migrate" --db "postgresql://migrate@127.0.0.1:1/app"
                        --dir "${DEMO_DIR}" status
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 11 OR NOT err MATCHES "CONNECTION_FAILED")
  message(FATAL_ERROR "the installed migrate did not load its PostgreSQL module (exit ${rc}):\n"
                      "${out}\n${err}")
endif()

# find_package consumer.
run_step(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" "-DCMAKE_PREFIX_PATH=${prefix}")
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run_step("${WORK_DIR}/build/consumer" "${DEMO_DIR}" "${WORK_DIR}/consumer.db")
run_step("${prefix}/bin/migrate" --db "sqlite:${WORK_DIR}/consumer.db" --dir "${DEMO_DIR}" validate)

# The example service, built standalone: migrate_embed must come with the installed package.
run_step(${CMAKE_COMMAND} -S "${EXAMPLE_DIR}" -B "${WORK_DIR}/service-build"
         "-DCMAKE_PREFIX_PATH=${prefix}")
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/service-build")
set(service "${WORK_DIR}/service-build/example-service")
set(service_db "sqlite:${WORK_DIR}/service.db")
# Starts the service in `mode` and checks its one line of output against `expected`.
function(start_service mode expected)
  run_step_output(line "${service}" --db "${service_db}" --mode "${mode}" --version 4
                  --timeout-ms 5000)
  if(NOT line MATCHES "^started mode=${expected}\n$")
    message(FATAL_ERROR "example-service --mode ${mode} printed\n${line}\nexpected: started "
                        "mode=${expected}")
  endif()
endfunction()
# On one database: apply migrates the empty file, verify and wait find it up to date.
set(all_four "waited_ms=[0-9]+ versions=1,2,3,4")
start_service(apply "apply-if-needed before=none after=4 applied=4 ${all_four}")
start_service(verify "verify-only before=4 after=4 applied=0 ${all_four}")
start_service(wait "wait-for-version before=4 after=4 applied=0 ${all_four}")
# The embedded bytes are the files' bytes: the CLI reading the directory finds the checksums the
# service recorded.
run_step("${prefix}/bin/migrate" --db "${service_db}" --dir "${EXAMPLE_DIR}/migrations" validate)

# pkg-config consumer. GNUInstallDirs may have chosen lib or lib/<multiarch>.
file(GLOB_RECURSE pc_files "${prefix}/*/libmigrate.pc")
list(LENGTH pc_files pc_count)
if(NOT pc_count EQUAL 1)
  message(FATAL_ERROR "expected one libmigrate.pc under ${prefix}, found: ${pc_files}")
endif()
get_filename_component(pc_dir "${pc_files}" DIRECTORY)
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf REQUIRED)
if(NOT DEFINED CXX_COMPILER)
  find_program(CXX_COMPILER NAMES g++ REQUIRED)
endif()
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
run_step_output(pc_flags "${PKG_CONFIG_EXECUTABLE}" --cflags --libs libmigrate)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
run_step("${CXX_COMPILER}" -std=c++20 "${CONSUMER_DIR}/consumer.cpp"
         -o "${WORK_DIR}/pc-consumer" ${pc_flags})
run_step("${WORK_DIR}/pc-consumer" "${DEMO_DIR}" "${WORK_DIR}/pc-consumer.db")
run_step("${prefix}/bin/migrate" --db "sqlite:${WORK_DIR}/pc-consumer.db" --dir "${DEMO_DIR}"
         validate)
