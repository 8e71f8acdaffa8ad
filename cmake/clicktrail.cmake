# Helpers every module uses: one library per src/<module>/, its unit tests beside it.
#
#   ct_library(<module> SOURCES a.cc b.cc DEPS other_module fmt::fmt)
#     → target clicktrail_<module>, alias clicktrail::<module>
#   ct_test(<module> SOURCES tests/a_test.cc DEPS ...)
#     → one GoogleTest binary <module>_test, its cases registered with ctest; the target
#       `unit_tests` builds them all. CT_UNIT_TESTS (a list of modules) keeps only some: the
#       sanitizer presets build and run the tests that need them, nothing else.
#   ct_fuzz(<name> SOURCES fuzz/x_fuzz.cc DEPS clicktrail::<module>)
#     → a libFuzzer binary <name>_fuzz, built only by the `fuzz` preset (clang)

include(warnings)
include(sanitizers)

function(ct_library module)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  set(target clicktrail_${module})
  if(arg_SOURCES)
    add_library(${target} STATIC ${arg_SOURCES})
    target_link_libraries(${target} PUBLIC ${arg_DEPS})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${arg_DEPS})
    set(scope INTERFACE)
  endif()
  # Headers are included as "module/file.h" from the src/ root.
  target_include_directories(${target} ${scope} ${PROJECT_SOURCE_DIR}/src)
  if(arg_SOURCES)
    ct_apply_warnings(${target})
    ct_apply_sanitizers(${target})
  endif()
  add_library(clicktrail::${module} ALIAS ${target})
endfunction()

set(CT_UNIT_TESTS "" CACHE STRING "The modules whose unit tests are built (all when empty)")
if(CT_BUILD_TESTS)
  add_custom_target(unit_tests)
endif()

function(ct_test module)
  if(NOT CT_BUILD_TESTS OR (CT_UNIT_TESTS AND NOT module IN_LIST CT_UNIT_TESTS))
    return()
  endif()
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  set(target ${module}_test)
  add_executable(${target} ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE clicktrail::${module} ${arg_DEPS} GTest::gtest_main)
  ct_apply_warnings(${target})
  ct_apply_sanitizers(${target})
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
  add_dependencies(unit_tests ${target})
endfunction()

function(ct_fuzz name)
  if(NOT CT_FUZZ)
    return()
  endif()
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_fuzz ${arg_SOURCES})
  target_link_libraries(${name}_fuzz PRIVATE ${arg_DEPS})
  target_link_options(${name}_fuzz PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name}_fuzz PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
endfunction()

# ct_use_jemalloc(<executable>): link jemalloc into a program (see dependencies.cmake), with the
# options of src/app/allocator_options.cc, except under the sanitizers, which replace malloc
# themselves.
function(ct_use_jemalloc target)
  if(NOT CT_SANITIZE AND NOT CT_SANITIZE_THREAD AND NOT CT_FUZZ)
    target_link_libraries(${target} PRIVATE PkgConfig::jemalloc)
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src/app/allocator_options.cc)
  endif()
endfunction()
