# Every ctest entry is one Catch2 test case, and every case is an entry.
#   cmake -DBUILD_DIR=build -DCTEST=ctest -P tests/meta/count_cases.cmake
# Compares, binary by binary, the ctest entries that run a test binary with the
# cases that binary lists (--list-test-names-only). A name that ctest splits
# (a ';' in it) shows up as extra entries; a binary or case left out of ctest as
# missing ones. Fails (FATAL_ERROR, non-zero exit) naming the binary.
cmake_minimum_required(VERSION 3.22)
if(NOT BUILD_DIR OR NOT CTEST)
  message(FATAL_ERROR "count_cases: set -DBUILD_DIR=... and -DCTEST=...")
endif()

execute_process(COMMAND "${CTEST}" --test-dir "${BUILD_DIR}" --show-only=json-v1
                OUTPUT_VARIABLE json RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "count_cases: ctest --show-only failed (${rc})")
endif()

string(JSON ntests LENGTH "${json}" tests)
set(binaries "")
math(EXPR last "${ntests} - 1")
foreach(i RANGE ${last})
  string(JSON ncmd ERROR_VARIABLE err LENGTH "${json}" tests ${i} command)
  if(err OR ncmd LESS 1)
    continue()
  endif()
  string(JSON exe GET "${json}" tests ${i} command 0)
  if(NOT exe MATCHES "_test$")
    continue()   # not a Catch2 binary (this check itself, for one)
  endif()
  string(MAKE_C_IDENTIFIER "${exe}" key)
  if(NOT DEFINED entries_${key})
    set(entries_${key} 0)
    list(APPEND binaries "${exe}")
  endif()
  math(EXPR entries_${key} "${entries_${key}} + 1")
endforeach()

# Test binaries built but never registered count too.
file(GLOB_RECURSE built LIST_DIRECTORIES false "${BUILD_DIR}/tests/*_test")
foreach(exe ${built})
  string(MAKE_C_IDENTIFIER "${exe}" key)
  if(NOT DEFINED entries_${key})
    set(entries_${key} 0)
    list(APPEND binaries "${exe}")
  endif()
endforeach()

set(total_entries 0)
set(total_cases 0)
set(bad "")
foreach(exe ${binaries})
  string(MAKE_C_IDENTIFIER "${exe}" key)
  execute_process(COMMAND "${exe}" --list-test-names-only
                  OUTPUT_VARIABLE names RESULT_VARIABLE listed)
  string(REPLACE ";" "_" names "${names}")  # one case a line, even with a ';' in it
  string(REGEX MATCHALL "[^\n]+" lines "${names}")
  list(LENGTH lines cases)
  math(EXPR total_entries "${total_entries} + ${entries_${key}}")
  math(EXPR total_cases "${total_cases} + ${cases}")
  if(NOT cases EQUAL entries_${key})
    get_filename_component(short "${exe}" NAME)
    list(APPEND bad "${short}: ${entries_${key}} ctest entries, ${cases} cases")
  endif()
endforeach()

if(bad)
  string(REPLACE ";" "\n  " bad "${bad}")
  message(FATAL_ERROR "count_cases: ctest entries and test cases differ:\n  ${bad}")
endif()
message(STATUS "count_cases: ${total_entries} ctest entries = ${total_cases} test cases")
