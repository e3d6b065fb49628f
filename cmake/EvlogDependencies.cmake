# evlog's dependencies: Debian packages only (libabsl-dev, libfmt-dev,
# libxxhash-dev). Also included by the installed evlogConfig.cmake.
include(CMakeFindDependencyMacro)
find_dependency(absl CONFIG)
find_dependency(fmt CONFIG)
find_dependency(PkgConfig)
if(NOT TARGET PkgConfig::xxhash)
  pkg_check_modules(xxhash REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
endif()
