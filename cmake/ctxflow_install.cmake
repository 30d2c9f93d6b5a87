# SPDX-License-Identifier: Apache-2.0
# Installs headers, libraries and the ctxflow CMake package (components: core, sdk, testing, ...).
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ctxflow DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/ctxflow/config.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ctxflow)
install(TARGETS ${CTXFLOW_INSTALL_TARGETS} EXPORT ctxflowTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT ctxflowTargets NAMESPACE ctxflow:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ctxflow)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ctxflowConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ctxflowConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ctxflow)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ctxflowConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ctxflowConfig.cmake ${PROJECT_BINARY_DIR}/ctxflowConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ctxflow)
