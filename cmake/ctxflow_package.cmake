# SPDX-License-Identifier: Apache-2.0
# CPack: `cpack -G DEB` in a build directory makes a Debian package of what `cmake --install`
# installs (headers, libraries, the CMake package, the pkg-config modules, the ctxflow program
# and the license) under /usr. Tests, benchmarks and examples have no install rules, so they
# stay out. The package depends on the runtime libraries the program links (found by
# dpkg-shlibdeps, from dpkg-dev, when it is there) and on the -dev packages a consumer of the
# static libraries and headers needs, as far as the components built need them.
set(CPACK_PACKAGE_NAME libctxflow-dev)
set(CPACK_PACKAGE_VENDOR "ctxflow")
set(CPACK_PACKAGE_CONTACT "ctxflow maintainers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "OpenTelemetry-compatible C++20 tracing whose context follows work across coroutines, threads and processes")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGE_CHECKSUM SHA256)
if(NOT CPACK_GENERATOR)
  set(CPACK_GENERATOR DEB)
endif()

set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ctxflow maintainers")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
find_program(CTXFLOW_DPKG_SHLIBDEPS dpkg-shlibdeps)
mark_as_advanced(CTXFLOW_DPKG_SHLIBDEPS)
if(CTXFLOW_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()

# What the installed headers, the static libraries and the package config need on the
# consumer's machine. Boost (the Asio integration), {fmt} and spdlog (the log component) are
# the third-party headers the public headers include; OpenSSL, libcurl, zlib, hiredis and SQLite are linked by the archives.
set(ctxflow_deb_depends "")
if(TARGET ctxflow_integrations_asio)
  list(APPEND ctxflow_deb_depends "libboost1.81-dev")
endif()
if(TARGET ctxflow_integrations_http)
  list(APPEND ctxflow_deb_depends "libssl-dev")
endif()
if(TARGET ctxflow_integrations_redis)
  # The package config and ctxflow-integrations-redis.pc find hiredis through pkg-config.
  list(APPEND ctxflow_deb_depends "libhiredis-dev" "pkgconf | pkg-config")
endif()
if(TARGET ctxflow_otlp_http)
  list(APPEND ctxflow_deb_depends "libcurl4-openssl-dev | libcurl-dev" "zlib1g-dev")
endif()
if(TARGET ctxflow_log)
  list(APPEND ctxflow_deb_depends "libfmt-dev" "libspdlog-dev")
endif()
if(TARGET ctxflow_viewer_store)
  # The package config and ctxflow-viewer-store.pc find SQLite through pkg-config.
  list(APPEND ctxflow_deb_depends "libsqlite3-dev" "zlib1g-dev" "pkgconf | pkg-config")
endif()
list(JOIN ctxflow_deb_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)

include(CPack)
