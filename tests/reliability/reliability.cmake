# Reliability campaigns (docs/DURABILITY.md), included from tests/CMakeLists.txt
# after evlog_tests is defined. The Catch2 campaigns (*_test.cc, tagged
# [reliability]) are part of evlog_tests; this adds what they need:
#   * evlog_crash_child, the process campaign 1 SIGKILLs;
#   * one plain executable per fuzz target (fuzz/*_fuzz.cc) with a small
#     main that replays its corpus (fuzz/corpus/<target>/), registered as
#     ctest entries, so that every build (dev, asan, tsan) replays the
#     corpora without clang or libFuzzer.
find_package(Threads REQUIRED)
add_executable(evlog_crash_child ${CMAKE_CURRENT_LIST_DIR}/crash_child.cc)
target_include_directories(evlog_crash_child PRIVATE ${PROJECT_SOURCE_DIR}/lib ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(evlog_crash_child PRIVATE evlog Threads::Threads)
add_dependencies(evlog_tests evlog_crash_child)
target_compile_definitions(evlog_tests PRIVATE
  EVLOG_CRASH_CHILD_PATH="$<TARGET_FILE:evlog_crash_child>")

include(${PROJECT_SOURCE_DIR}/fuzz/replay.cmake)
