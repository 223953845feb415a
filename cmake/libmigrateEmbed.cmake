# migrate_embed(TARGET <target> DIRECTORY <dir> [NAME <c_identifier>])
#
# Compiles the migration files of <dir> into <target> (docs/embedding.md): at build time every
# file of <dir> (top level, dot-files left out, as load_directory skips them) becomes a generated
# source, so a service needs no migrations directory at run time. The generated header
# <NAME>.hpp declares, at global namespace,
#
#   const migrate::EmbeddedMigrations& NAME();
#
# to pass as Options::embedded_migrations. NAME defaults to <target>_migrations, made an
# identifier. The bytes are embedded exactly as on disk (BOM, CRLF and all), so the checksums the
# service records are the ones the CLI computes from the directory. A subdirectory of <dir> is
# a configure error, as load_directory refuses it. <target> must link libmigrate::migrate,
# whose headers the generated code includes.
#
# Included from the source tree (CMakeLists.txt) and from the installed libmigrateConfig.cmake;
# the generator script sits next to this file in both cases.

# A global property rather than a variable: a variable set by find_package in one directory is
# not visible to a migrate_embed call in a sibling directory, but the function is.
set_property(GLOBAL PROPERTY MIGRATE_EMBED_GENERATOR
             "${CMAKE_CURRENT_LIST_DIR}/migrate_embed_generate.cmake")

# A bracket argument ([==[...]==]) holding `value` verbatim, for the manifest: it needs no
# escaping whatever the value holds.
function(_migrate_embed_bracket out value)
  set(equals "")
  while(value MATCHES "]${equals}]")
    string(APPEND equals "=")
  endwhile()
  set(${out} "[${equals}[${value}]${equals}]" PARENT_SCOPE)
endfunction()

function(migrate_embed)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;DIRECTORY;NAME" "")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "migrate_embed: unexpected arguments: ${arg_UNPARSED_ARGUMENTS} "
                        "(usage: migrate_embed(TARGET <target> DIRECTORY <dir> [NAME <name>]))")
  endif()
  if(arg_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "migrate_embed: ${arg_KEYWORDS_MISSING_VALUES} given without a value")
  endif()
  if(NOT DEFINED arg_TARGET OR arg_TARGET STREQUAL "")
    message(FATAL_ERROR "migrate_embed: TARGET is required")
  endif()
  if(NOT TARGET "${arg_TARGET}")
    message(FATAL_ERROR "migrate_embed: '${arg_TARGET}' is not a target; call migrate_embed "
                        "after add_executable/add_library")
  endif()
  if(NOT DEFINED arg_DIRECTORY OR arg_DIRECTORY STREQUAL "")
    message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): DIRECTORY is required")
  endif()
  if(DEFINED arg_NAME)
    if(NOT arg_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
      message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): NAME '${arg_NAME}' is not a C++ "
                          "identifier")
    endif()
    set(name "${arg_NAME}")
  else()
    string(MAKE_C_IDENTIFIER "${arg_TARGET}_migrations" name)
  endif()

  get_filename_component(directory "${arg_DIRECTORY}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${directory}")
    message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): DIRECTORY '${arg_DIRECTORY}' "
                        "(${directory}) does not exist or is not a directory")
  endif()

  # CONFIGURE_DEPENDS: adding or removing a file re-runs the configure step, which rewrites the
  # manifest below and so regenerates the source. Directories are listed too, to refuse them.
  file(GLOB entries RELATIVE "${directory}" CONFIGURE_DEPENDS LIST_DIRECTORIES true
       "${directory}/[!.]*")
  list(SORT entries)
  set(names "")
  set(paths "")
  foreach(entry IN LISTS entries)
    if(entry MATCHES "^\\.")
      continue()
    endif()
    # load_directory refuses anything but regular files; skipping it here would let the service
    # accept a directory the CLI refuses.
    if(IS_DIRECTORY "${directory}/${entry}")
      message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): ${arg_DIRECTORY}/${entry} is a "
                          "directory; a migrations directory holds only migration files (move "
                          "it out, or rename it to start with '.')")
    endif()
    # CMake lists and its CONFIGURE_DEPENDS check mishandle these (a ';' already split the name
    # above); no valid migration name has them.
    if(entry MATCHES "[][\n\"$]")
      message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): cannot embed "
                          "'${arg_DIRECTORY}/${entry}': its name contains one of [ ] \" $ or a "
                          "newline")
    endif()
    # file(GLOB) splits a name at ';' and turns '\\' into '/'.
    if(NOT EXISTS "${directory}/${entry}")
      message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): cannot embed a file of "
                          "${arg_DIRECTORY} whose name contains ';' or '\\' (listed as "
                          "'${entry}')")
    endif()
    list(APPEND names "${entry}")
    list(APPEND paths "${directory}/${entry}")
  endforeach()

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/migrate_embed")
  set(out_cpp "${out_dir}/${name}.cpp")
  set(out_hpp "${out_dir}/${name}.hpp")
  set(manifest "${out_dir}/${name}.manifest.cmake")
  get_property(claimed DIRECTORY PROPERTY MIGRATE_EMBED_NAMES)
  if(name IN_LIST claimed)
    message(FATAL_ERROR "migrate_embed(TARGET ${arg_TARGET}): NAME '${name}' is already used in "
                        "this directory; pass a different NAME")
  endif()
  set_property(DIRECTORY APPEND PROPERTY MIGRATE_EMBED_NAMES "${name}")

  # Everything the generator needs, in one file written only when it changes: a removed file, a
  # new NAME or origin all change it, and it is a dependency of the generated source, so the
  # source is regenerated even when no remaining file is newer than it.
  _migrate_embed_bracket(q_directory "${directory}")
  _migrate_embed_bracket(q_origin "${arg_DIRECTORY}")
  string(CONCAT manifest_text "# Written by migrate_embed (libmigrateEmbed.cmake) for "
         "migrate_embed_generate.cmake.\n")
  string(APPEND manifest_text "set(EMBED_NAME ${name})\n")
  string(APPEND manifest_text "set(EMBED_DIRECTORY ${q_directory})\n")
  string(APPEND manifest_text "set(EMBED_ORIGIN ${q_origin})\n")
  string(APPEND manifest_text "set(EMBED_FILES\n")
  foreach(file_name IN LISTS names)
    _migrate_embed_bracket(q_name "${file_name}")
    string(APPEND manifest_text "  ${q_name}\n")
  endforeach()
  string(APPEND manifest_text ")\n")
  file(WRITE "${manifest}.tmp" "${manifest_text}")
  file(COPY_FILE "${manifest}.tmp" "${manifest}" ONLY_IF_DIFFERENT)
  file(REMOVE "${manifest}.tmp")

  get_property(generator GLOBAL PROPERTY MIGRATE_EMBED_GENERATOR)
  add_custom_command(
    OUTPUT "${out_cpp}" "${out_hpp}"
    COMMAND "${CMAKE_COMMAND}" "-DMANIFEST=${manifest}" "-DOUTPUT_CPP=${out_cpp}"
            "-DOUTPUT_HPP=${out_hpp}" -P "${generator}"
    DEPENDS ${paths} "${manifest}" "${generator}"
    COMMENT "Embedding the migrations of ${arg_DIRECTORY} into ${arg_TARGET} (${name}.cpp)"
    VERBATIM)
  # The header is a source too, so that with every generator it exists before the target's own
  # files that include it are compiled.
  target_sources("${arg_TARGET}" PRIVATE "${out_cpp}" "${out_hpp}")
  target_include_directories("${arg_TARGET}" PRIVATE "${out_dir}")
endfunction()
