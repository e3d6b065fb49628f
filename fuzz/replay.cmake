# Corpus replay without libFuzzer (included by tests/reliability/reliability.cmake):
# each fuzz/<target>_fuzz.cc is linked with fuzz/replay_main.cc, which feeds
# every file of fuzz/corpus/<target>/ to LLVMFuzzerTestOneInput once. Built
# by every compiler and sanitizer preset; registered as ctest entries
# "fuzz_replay.<target>".
file(GLOB EVLOG_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_fuzz.cc)
foreach(src ${EVLOG_FUZZ_SOURCES})
  get_filename_component(target ${src} NAME_WE)
  add_executable(${target}_replay ${src} ${CMAKE_CURRENT_LIST_DIR}/replay_main.cc)
  target_include_directories(${target}_replay PRIVATE ${PROJECT_SOURCE_DIR}/lib
                             ${PROJECT_SOURCE_DIR}/tests ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(${target}_replay PRIVATE evlog absl::str_format PkgConfig::xxhash)
  add_test(NAME fuzz_replay.${target}
           COMMAND ${target}_replay ${CMAKE_CURRENT_LIST_DIR}/corpus/${target})
  set_tests_properties(fuzz_replay.${target} PROPERTIES TIMEOUT 300 LABELS reliability)
endforeach()

# Writes the seed corpora (run by hand; the output is committed):
#   evlog_make_seed_corpus fuzz/corpus
add_executable(evlog_make_seed_corpus ${CMAKE_CURRENT_LIST_DIR}/make_seed_corpus.cc)
target_include_directories(evlog_make_seed_corpus PRIVATE ${PROJECT_SOURCE_DIR}/lib)
target_link_libraries(evlog_make_seed_corpus PRIVATE evlog)
