# Decides whether the Kafka backend is built (EVLOG_WITH_KAFKA) and adds it.
# Sets EVLOG_KAFKA_BUILT for tests/, examples/ and bench/.
set(EVLOG_KAFKA_BUILT OFF)
if(NOT EVLOG_WITH_KAFKA MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "EVLOG_WITH_KAFKA must be AUTO, ON or OFF, not '${EVLOG_WITH_KAFKA}'")
endif()
if(NOT EVLOG_WITH_KAFKA STREQUAL "OFF")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(rdkafka IMPORTED_TARGET GLOBAL rdkafka)
  if(rdkafka_FOUND)
    set(EVLOG_KAFKA_BUILT ON)
    message(STATUS "evlog: building the Kafka backend (librdkafka ${rdkafka_VERSION})")
  elseif(EVLOG_WITH_KAFKA STREQUAL "ON")
    message(FATAL_ERROR
      "EVLOG_WITH_KAFKA=ON but pkg-config cannot find librdkafka ('rdkafka'). "
      "Install it (Debian: apt-get install librdkafka-dev, or scripts/install-deps.sh) "
      "or configure with -DEVLOG_WITH_KAFKA=OFF.")
  else()
    message(STATUS "evlog: librdkafka not found; the Kafka backend is not built "
                   "(EVLOG_WITH_KAFKA=AUTO)")
  endif()
endif()
if(EVLOG_KAFKA_BUILT)
  add_subdirectory(${PROJECT_SOURCE_DIR}/lib/kafka ${PROJECT_BINARY_DIR}/lib/kafka)
endif()
