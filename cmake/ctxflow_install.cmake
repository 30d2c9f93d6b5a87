# SPDX-License-Identifier: Apache-2.0
# Installs the headers, the libraries, the `ctxflow` program, the `ctxflow` CMake package and
# one pkg-config module per component. Every library in CTXFLOW_INSTALL_TARGETS is one package
# component, named by its EXPORT_NAME (context ... otlp_http, log, testing, the umbrellas core, sdk,
# asio and ctxflow). Each component has its own export file, its own list of find_dependency()
# packages and its own ctxflow-<component>.pc (`_` written `-`; the umbrella ctxflow is
# ctxflow.pc), all worked out here from the targets' link libraries, so
# `find_package(ctxflow COMPONENTS core)` and `pkg-config ctxflow-core` look only for what core
# needs. Executables in the list (the ctxflow program) are installed to bin/ and not exported.
# Nothing installed holds an absolute path: third-party libraries are imported targets (found
# again by the package config) or pkg-config modules, and the .pc files locate their prefix
# from their own directory.
include(CMakePackageConfigHelpers)

set(ctxflow_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/ctxflow)

# A component library defined without appending itself to the list is still installed.
foreach(component core sdk otlp_http asio log grpc testing ctxflow)
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
# PkgConfig::<name> (from pkg_check_modules(<name> IMPORTED_TARGET <name>)) stands for the
# pkg-config module <name>; the package config finds it again the same way.
set(ctxflow_pc_CURL libcurl)
set(ctxflow_pc_ZLIB zlib)
set(ctxflow_pc_OpenSSL openssl)
set(ctxflow_pc_protobuf protobuf)
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
  else()
    set(interface_links "")
  endif()

  # Public links: the interface ones not wrapped in $<LINK_ONLY:...> (that wrapper marks a
  # static library's private dependency).
  set(public_links "")
  foreach(link IN LISTS interface_links)
    if(NOT link MATCHES "^\\$<")
      list(APPEND public_links ${link})
    endif()
  endforeach()

  set(ctxflow_requires_${component} "")
  set(ctxflow_packages_${component} "")
  set(ctxflow_pc_public_${component} "")
  set(ctxflow_pc_private_${component} "")
  set(ctxflow_pc_threads_${component} FALSE)
  foreach(link IN LISTS links)
    set(visibility private)
    if(link IN_LIST public_links)
      set(visibility public)
    endif()
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
    if(link MATCHES "\\$<")
      continue()  # build-only generator expressions
    endif()
    # The pkg-config side: ctxflow modules, system modules, -pthread.
    set(pc_module "")
    if(link STREQUAL "Threads::Threads")
      set(ctxflow_pc_threads_${component} TRUE)
    elseif(link MATCHES "^PkgConfig::(.+)$")
      set(pc_module ${CMAKE_MATCH_1})
    elseif(link MATCHES "^([A-Za-z0-9_]+)::")
      if(DEFINED ctxflow_pc_${CMAKE_MATCH_1})
        set(pc_module ${ctxflow_pc_${CMAKE_MATCH_1}})
      endif()
    endif()
    if(pc_module)
      list(APPEND ctxflow_pc_${visibility}_${component} ${pc_module})
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
      list(APPEND ctxflow_pc_${visibility}_${component} ctxflow:${ctxflow_component_of_${link}})
    elseif(link MATCHES "^ctxflow::(.+)$")
      list(APPEND ctxflow_requires_${component} ${CMAKE_MATCH_1})
      list(APPEND ctxflow_pc_${visibility}_${component} ctxflow:${CMAKE_MATCH_1})
    elseif(link MATCHES "^PkgConfig::(.+)$")
      list(APPEND ctxflow_packages_${component} pkg-config:${CMAKE_MATCH_1})
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
  list(REMOVE_DUPLICATES ctxflow_pc_public_${component})
  list(REMOVE_DUPLICATES ctxflow_pc_private_${component})
  if(ctxflow_pc_public_${component})
    list(REMOVE_ITEM ctxflow_pc_private_${component} ${ctxflow_pc_public_${component}})
  endif()
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

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

# pkg-config: one module per component. A module's Libs hold its own library and the linker
# options its consumers need, such as the --undefined that keeps an exporter's
# self-registration hook in a static link (OTEL_TRACES_EXPORTER=console, jsonl, otlp); its
# Cflags the include directory and its interface definitions (CTXFLOW_SHARED,
# CTXFLOW_HAS_OTLP_HTTP). Requires names the ctxflow modules and system modules (libcurl, zlib,
# openssl, hiredis) it links publicly. Private dependencies go to Requires.private for a shared
# library; a static archive needs them on the consumer's link line, so there they are Requires
# too. The prefix is computed from the file's own location, so the tree can be moved.
file(RELATIVE_PATH ctxflow_pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" ctxflow_pc_to_prefix "${ctxflow_pc_to_prefix}")

# ctxflow_pc_name(<component> <out>): ctxflow-<component> with '-' for '_'; ctxflow for the umbrella.
function(ctxflow_pc_name component out)
  if(component STREQUAL "ctxflow")
    set(${out} ctxflow PARENT_SCOPE)
  else()
    string(REPLACE "_" "-" name "ctxflow-${component}")
    set(${out} ${name} PARENT_SCOPE)
  endif()
endfunction()

# ctxflow_pc_list(<out> <entries...>): a Requires list; ctxflow:<component> entries become the
# component's module at this version.
function(ctxflow_pc_list out)
  set(words "")
  foreach(entry IN LISTS ARGN)
    if(entry MATCHES "^ctxflow:(.+)$")
      ctxflow_pc_name(${CMAKE_MATCH_1} name)
      list(APPEND words "${name} = ${PROJECT_VERSION}")
    else()
      list(APPEND words ${entry})
    endif()
  endforeach()
  list(JOIN words ", " joined)
  set(${out} "${joined}" PARENT_SCOPE)
endfunction()

set(CTXFLOW_PC_MODULES "")
foreach(target IN LISTS ctxflow_libraries)
  set(component ${ctxflow_component_of_${target}})
  ctxflow_pc_name(${component} pc_name)
  get_target_property(type ${target} TYPE)

  set(pc_libs "")
  get_target_property(link_options ${target} INTERFACE_LINK_OPTIONS)
  if(link_options)
    foreach(option IN LISTS link_options)
      if(option MATCHES "^LINKER:(.*)$")
        string(APPEND pc_libs " -Wl,${CMAKE_MATCH_1}")
      elseif(NOT option MATCHES "\\$<")
        string(APPEND pc_libs " ${option}")
      endif()
    endforeach()
  endif()
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    get_target_property(output_name ${target} OUTPUT_NAME)
    if(NOT output_name)
      set(output_name ${target})
    endif()
    string(APPEND pc_libs " -l${output_name}")
  endif()
  if(ctxflow_pc_threads_${component})
    string(APPEND pc_libs " -pthread")
  endif()
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    set(pc_libs " -L\${libdir}${pc_libs}")
  endif()

  set(pc_cflags "-I\${includedir}")
  get_target_property(definitions ${target} INTERFACE_COMPILE_DEFINITIONS)
  if(definitions)
    foreach(definition IN LISTS definitions)
      if(NOT definition MATCHES "\\$<")
        string(APPEND pc_cflags " -D${definition}")
      endif()
    endforeach()
  endif()

  if(type STREQUAL "STATIC_LIBRARY")
    ctxflow_pc_list(pc_requires ${ctxflow_pc_public_${component}} ${ctxflow_pc_private_${component}})
    set(pc_requires_private "")
  else()
    ctxflow_pc_list(pc_requires ${ctxflow_pc_public_${component}})
    ctxflow_pc_list(pc_requires_private ${ctxflow_pc_private_${component}})
  endif()
  set(pc_requires_lines "")
  if(pc_requires)
    string(APPEND pc_requires_lines "Requires: ${pc_requires}\n")
  endif()
  if(pc_requires_private)
    string(APPEND pc_requires_lines "Requires.private: ${pc_requires_private}\n")
  endif()

  if(component STREQUAL "ctxflow")
    set(pc_description "OpenTelemetry-compatible tracing whose context follows work across coroutines, threads and processes (C++20): every installed component")
  else()
    set(pc_description "ctxflow component ${component} (CMake: ctxflow::${component})")
  endif()
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/pkgconfig/${pc_name}.pc @ONLY CONTENT [=[
prefix=${pcfiledir}/@ctxflow_pc_to_prefix@
includedir=${prefix}/@CMAKE_INSTALL_INCLUDEDIR@
libdir=${prefix}/@CMAKE_INSTALL_LIBDIR@

Name: @pc_name@
Description: @pc_description@
Version: @PROJECT_VERSION@
@pc_requires_lines@Cflags: @pc_cflags@
Libs:@pc_libs@
]=])
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${pc_name}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  list(APPEND CTXFLOW_PC_MODULES ${pc_name})
endforeach()
