# Public headers as a user compiles them (issue 16): each header of
# include/evlog/ compiled alone, and the examples of the headers' comments
# (mirrored in header_examples.cc) compiled and run, with the flags of a
# strict user build: -Wall -Wextra -Werror, no -Wno-..., and only the
# installed include paths (not lib/). A header that stops compiling alone,
# or a struct member that loses its default initialiser, fails the build.
file(GLOB EVLOG_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/evlog/*.h)
set(EVLOG_HEADER_TUS)
foreach(header ${EVLOG_PUBLIC_HEADERS})
  get_filename_component(name ${header} NAME_WE)
  set(tu ${CMAKE_CURRENT_BINARY_DIR}/header_alone/${name}.cc)
  file(CONFIGURE OUTPUT ${tu} CONTENT "#include \"evlog/${name}.h\"  // first, alone\n")
  list(APPEND EVLOG_HEADER_TUS ${tu})
endforeach()
# version.h is generated from version.h.in.
file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/header_alone/version.cc
     CONTENT "#include \"evlog/version.h\"  // first, alone\n")
list(APPEND EVLOG_HEADER_TUS ${CMAKE_CURRENT_BINARY_DIR}/header_alone/version.cc)

set(EVLOG_USER_FLAGS -Wall -Wextra -Werror)
add_library(evlog_headers_alone OBJECT ${EVLOG_HEADER_TUS})
# Usage requirements of evlog::evlog only: its public include directories.
target_link_libraries(evlog_headers_alone PRIVATE evlog::evlog fmt::fmt)
target_compile_options(evlog_headers_alone PRIVATE ${EVLOG_USER_FLAGS})

add_executable(header_examples ${CMAKE_CURRENT_LIST_DIR}/header_examples.cc)
target_link_libraries(header_examples PRIVATE evlog::evlog fmt::fmt)
target_compile_options(header_examples PRIVATE ${EVLOG_USER_FLAGS})
add_test(NAME header_examples COMMAND header_examples)
set_tests_properties(header_examples PROPERTIES TIMEOUT 120)
