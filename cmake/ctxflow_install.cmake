# SPDX-License-Identifier: Apache-2.0
# Installs the headers, the libraries, the `ctxflow` CMake package and a ctxflow.pc file.
# Every library in CTXFLOW_INSTALL_TARGETS is one package component, named by its EXPORT_NAME
# (core, sdk, otlp_http, asio, log, testing, and the umbrella ctxflow). Each component has its own
# export file and its own list of find_dependency() packages, worked out here from the targets'
# link libraries, so `find_package(ctxflow COMPONENTS core)` looks only for what core needs.
# Executables in the list (the ctxflow tool) are installed to bin/ and not exported.
include(CMakePackageConfigHelpers)

set(ctxflow_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ctxflow)

# A component library defined without appending itself to the list is still installed.
foreach(component core sdk otlp_http asio log testing ctxflow)
  if(TARGET ctxflow_${component} AND NOT ctxflow_${component} IN_LIST CTXFLOW_INSTALL_TARGETS)
    list(APPEND CTXFLOW_INSTALL_TARGETS ctxflow_${component})
  endif()
endforeach()
list(REMOVE_DUPLICATES CTXFLOW_INSTALL_TARGETS)

# Imported-target namespaces -> the package that defines them, and its pkg-config module.
set(ctxflow_pkg_Threads Threads)
set(ctxflow_pkg_CURL CURL)
set(ctxflow_pkg_ZLIB ZLIB)
set(ctxflow_pkg_OpenSSL OpenSSL)
set(ctxflow_pkg_Boost Boost)
set(ctxflow_pkg_protobuf Protobuf)
set(ctxflow_pkg_fmt fmt)
set(ctxflow_pkg_spdlog spdlog)
set(ctxflow_pc_CURL libcurl)
set(ctxflow_pc_ZLIB zlib)
set(ctxflow_pc_OpenSSL openssl)
set(ctxflow_pc_Protobuf protobuf)
set(ctxflow_pc_fmt fmt)
set(ctxflow_pc_spdlog spdlog)

# Pass 1: the component name of every installed library.
set(ctxflow_libraries "")
foreach(target IN LISTS CTXFLOW_INSTALL_TARGETS)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    install(TARGETS ${target} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    continue()
  endif()
  get_target_property(component ${target} EXPORT_NAME)
  if(NOT component)
    string(REGEX REPLACE "^ctxflow_" "" component ${target})
  endif()
  set(ctxflow_component_of_${target} ${component})
  list(APPEND ctxflow_libraries ${target})
endforeach()

# Pass 2: each library's component dependencies and external packages.
foreach(target IN LISTS ctxflow_libraries)
  set(component ${ctxflow_component_of_${target}})
  get_target_property(type ${target} TYPE)
  set(links "")
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(private_links ${target} LINK_LIBRARIES)
    if(private_links)
      list(APPEND links ${private_links})
    endif()
  endif()
  get_target_property(interface_links ${target} INTERFACE_LINK_LIBRARIES)
  if(interface_links)
    list(APPEND links ${interface_links})
  endif()

  set(ctxflow_requires_${component} "")
  set(ctxflow_packages_${component} "")
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
    if(link MATCHES "\\$<")
      continue()  # build-only generator expressions
    endif()
    # Imported targets found in a component's own folder are not visible here, so namespaced
    # names are taken as they are; plain library names (pthread, z) need no package.
    if(TARGET ${link})
      get_target_property(aliased ${link} ALIASED_TARGET)
      if(aliased)
        set(link ${aliased})
      endif()
    endif()
    if(DEFINED ctxflow_component_of_${link})
      list(APPEND ctxflow_requires_${component} ${ctxflow_component_of_${link}})
    elseif(link MATCHES "^ctxflow::(.+)$")
      list(APPEND ctxflow_requires_${component} ${CMAKE_MATCH_1})
    elseif(link MATCHES "^([A-Za-z0-9_]+)::")
      set(namespace ${CMAKE_MATCH_1})
      if(DEFINED ctxflow_pkg_${namespace})
        list(APPEND ctxflow_packages_${component} ${ctxflow_pkg_${namespace}})
      else()
        list(APPEND ctxflow_packages_${component} ${namespace})
      endif()
    endif()
  endforeach()
  # A component may name packages the link libraries do not show (target property).
  get_target_property(extra ${target} CTXFLOW_FIND_DEPENDENCIES)
  if(extra)
    list(APPEND ctxflow_packages_${component} ${extra})
  endif()
  list(REMOVE_DUPLICATES ctxflow_requires_${component})
  list(REMOVE_DUPLICATES ctxflow_packages_${component})
  list(REMOVE_ITEM ctxflow_requires_${component} ${component})
endforeach()

# Dependency order (a component after everything it links), for loading the export files.
set(ctxflow_components "")
function(ctxflow_visit_component component)
  if(component IN_LIST ctxflow_components OR component IN_LIST ctxflow_visiting)
    return()
  endif()
  list(APPEND ctxflow_visiting ${component})
  foreach(required IN LISTS ctxflow_requires_${component})
    ctxflow_visit_component(${required})
  endforeach()
  list(APPEND ctxflow_components ${component})
  set(ctxflow_components ${ctxflow_components} PARENT_SCOPE)
endfunction()
foreach(target IN LISTS ctxflow_libraries)
  ctxflow_visit_component(${ctxflow_component_of_${target}})
endforeach()

# Install each component with its own export file; collect the table the config file reads.
set(CTXFLOW_COMPONENT_TABLE "")
set(ctxflow_all_packages "")
foreach(target IN LISTS ctxflow_libraries)
  set(component ${ctxflow_component_of_${target}})
  install(TARGETS ${target} EXPORT ctxflow_${component}_targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT ctxflow_${component}_targets NAMESPACE ctxflow::
    FILE ctxflow-${component}-targets.cmake DESTINATION ${ctxflow_cmake_dir})
  string(APPEND CTXFLOW_COMPONENT_TABLE
    "set(_ctxflow_requires_${component} \"${ctxflow_requires_${component}}\")\n"
    "set(_ctxflow_packages_${component} \"${ctxflow_packages_${component}}\")\n")
  list(APPEND ctxflow_all_packages ${ctxflow_packages_${component}})
endforeach()
list(REMOVE_DUPLICATES ctxflow_all_packages)
set(CTXFLOW_COMPONENTS "${ctxflow_components}")

# Find modules of our own that a component's packages need travel with the package.
foreach(package IN LISTS ctxflow_all_packages)
  if(EXISTS ${PROJECT_SOURCE_DIR}/cmake/Find${package}.cmake)
    install(FILES ${PROJECT_SOURCE_DIR}/cmake/Find${package}.cmake DESTINATION ${ctxflow_cmake_dir})
  endif()
endforeach()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ctxflow DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/ctxflow/config.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ctxflow)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ctxflowConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ctxflowConfig.cmake INSTALL_DESTINATION ${ctxflow_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ctxflowConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ctxflowConfig.cmake ${PROJECT_BINARY_DIR}/ctxflowConfigVersion.cmake
  DESTINATION ${ctxflow_cmake_dir})

# ctxflow.pc: every library, dependents first, so one `pkg-config --libs ctxflow` links them all.
# The prefix is computed from the file's own location, so the package can be moved.
file(RELATIVE_PATH ctxflow_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" ctxflow_pc_to_prefix "${ctxflow_pc_to_prefix}")
set(ctxflow_pc_libs "")
set(ctxflow_pc_link_options "")
set(ctxflow_pc_requires "")
set(reversed ${ctxflow_components})
list(REVERSE reversed)
foreach(component IN LISTS reversed)
  foreach(target IN LISTS ctxflow_libraries)
    if(ctxflow_component_of_${target} STREQUAL component)
      get_target_property(type ${target} TYPE)
      if(NOT type STREQUAL "INTERFACE_LIBRARY")
        get_target_property(output_name ${target} OUTPUT_NAME)
        if(NOT output_name)
          set(output_name ${target})
        endif()
        string(APPEND ctxflow_pc_libs " -l${output_name}")
      endif()
      # Link options a consumer needs, such as the --undefined that keeps an exporter's
      # self-registration hook in a static link (OTEL_TRACES_EXPORTER=console, jsonl, otlp).
      get_target_property(link_options ${target} INTERFACE_LINK_OPTIONS)
      foreach(option IN LISTS link_options)
        if(option MATCHES "^LINKER:(.*)$")
          string(APPEND ctxflow_pc_link_options " -Wl,${CMAKE_MATCH_1}")
        endif()
      endforeach()
    endif()
  endforeach()
endforeach()
foreach(package IN LISTS ctxflow_all_packages)
  if(DEFINED ctxflow_pc_${package})
    list(APPEND ctxflow_pc_requires ${ctxflow_pc_${package}})
  endif()
endforeach()
if(TARGET ctxflow_integrations_redis)
  # hiredis is found by path, not as a CMake package, so it is named here (Debian ships hiredis.pc).
  list(APPEND ctxflow_pc_requires hiredis)
endif()
list(JOIN ctxflow_pc_requires " " ctxflow_pc_requires)
set(ctxflow_pc_cflags "")
set(ctxflow_pc_requires_line "")
if(BUILD_SHARED_LIBS)
  set(ctxflow_pc_cflags " -DCTXFLOW_SHARED")
  if(ctxflow_pc_requires)
    set(ctxflow_pc_requires_line "Requires.private: ${ctxflow_pc_requires}\n")
  endif()
elseif(ctxflow_pc_requires)
  # Static archives need their dependencies on the consumer's link line.
  set(ctxflow_pc_requires_line "Requires: ${ctxflow_pc_requires}\n")
endif()
file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/ctxflow.pc @ONLY CONTENT [=[
prefix=${pcfiledir}/@ctxflow_pc_to_prefix@
includedir=${prefix}/@CMAKE_INSTALL_INCLUDEDIR@
libdir=${prefix}/@CMAKE_INSTALL_LIBDIR@

Name: ctxflow
Description: OpenTelemetry-compatible tracing whose context follows work across coroutines, threads and processes (C++20)
Version: @PROJECT_VERSION@
@ctxflow_pc_requires_line@Cflags: -I${includedir}@ctxflow_pc_cflags@
Libs: -L${libdir}@ctxflow_pc_link_options@@ctxflow_pc_libs@ -pthread
]=])
install(FILES ${PROJECT_BINARY_DIR}/ctxflow.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
