# Installs the build tree into a scratch prefix, builds tests/install_consumer against it with
# find_package(libmigrate), and runs the consumer on the SQLite demo. Fails on any step.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run_step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(installed bin/migrate include/migrate/migrator.hpp lib/cmake/libmigrate/libmigrateConfig.cmake)
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "cmake --install did not install ${installed}")
  endif()
endforeach()
run_step(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" "-DCMAKE_PREFIX_PATH=${prefix}")
run_step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run_step("${WORK_DIR}/build/consumer" "${DEMO_DIR}" "${WORK_DIR}/consumer.db")
run_step("${prefix}/bin/migrate" --db "sqlite:${WORK_DIR}/consumer.db" --dir "${DEMO_DIR}" validate)
