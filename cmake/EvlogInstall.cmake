# Install rules and the package files: headers, libevlog.a, the exported
# target evlog::evlog, evlogConfig.cmake (+ version file) and evlog.pc.
#
# The installed tree is relocatable: the CMake package and evlog.pc both find
# the prefix from their own location, so `cmake --install --prefix P` works
# and the tree can be moved afterwards.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(EVLOG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/evlog)

install(TARGETS evlog EXPORT evlogTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/evlog
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/evlog/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/evlog)

install(EXPORT evlogTargets NAMESPACE evlog:: DESTINATION ${EVLOG_CMAKE_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/evlogConfig.cmake.in
  ${PROJECT_BINARY_DIR}/evlogConfig.cmake
  INSTALL_DESTINATION ${EVLOG_CMAKE_DIR})
# 0.x releases promise nothing across minor versions; from 1.0, SameMajorVersion.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/evlogConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/evlogConfig.cmake
              ${PROJECT_BINARY_DIR}/evlogConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/EvlogDependencies.cmake
        DESTINATION ${EVLOG_CMAKE_DIR})

file(RELATIVE_PATH EVLOG_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" EVLOG_PC_TO_PREFIX "${EVLOG_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/evlog.pc.in
               ${PROJECT_BINARY_DIR}/evlog.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/evlog.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The Kafka backend, when built: libevlog_kafka.a, the exported target
# evlog::kafka (its own export file, loaded by evlogConfig.cmake when
# present) and evlog-kafka.pc.
if(EVLOG_KAFKA_BUILT)
  install(TARGETS evlog_kafka EXPORT evlogKafkaTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT evlogKafkaTargets NAMESPACE evlog:: DESTINATION ${EVLOG_CMAKE_DIR})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/evlog-kafka.pc.in
                 ${PROJECT_BINARY_DIR}/evlog-kafka.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/evlog-kafka.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
