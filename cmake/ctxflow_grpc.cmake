# SPDX-License-Identifier: Apache-2.0
# gRPC for the `grpc` component (CTXFLOW_WITH_GRPC): the gRPC integration
# (ctxflow::integrations_grpc) and the OTLP/gRPC exporter (ctxflow::otlp_grpc), on gRPC++ 1.51 as
# Debian 12 ships it (scripts/deps/grpc.txt).
#
# gRPC++ is found through its pkg-config module, as the imported target PkgConfig::grpc++, so the
# installed package names no path and the package config finds it again the same way (as for
# hiredis). protoc and libprotobuf come from find_package(Protobuf); the protoc plugin that writes
# services is grpc_cpp_plugin.
#
# ctxflow_grpc_generate(<target> PROTO_DIR <dir> PROTOS <name>... [SERVICES])
#   Adds a static library <target> of the classes protoc generates from <dir>/<name>.proto (and,
#   with SERVICES, the gRPC service stubs, <name>.grpc.pb.cc), with the generated headers as
#   SYSTEM includes and libprotobuf (and gRPC++) as public links. For examples and tests; the
#   libraries themselves use no generated code.
if(NOT CTXFLOW_WITH_GRPC)
  return()
endif()

find_package(PkgConfig REQUIRED)
pkg_check_modules(grpc++ REQUIRED IMPORTED_TARGET GLOBAL grpc++)
find_package(Protobuf REQUIRED)
find_program(CTXFLOW_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
message(STATUS "ctxflow: gRPC++ ${grpc++_VERSION}, protobuf ${Protobuf_VERSION}")

function(ctxflow_grpc_generate target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "SERVICES" "PROTO_DIR" "PROTOS")
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${target}_gen)
  set(sources "")
  set(files "")
  foreach(p IN LISTS arg_PROTOS)
    list(APPEND files ${arg_PROTO_DIR}/${p}.proto)
    list(APPEND sources ${out_dir}/${p}.pb.cc)
    if(arg_SERVICES)
      list(APPEND sources ${out_dir}/${p}.grpc.pb.cc)
    endif()
  endforeach()
  set(plugin_args "")
  if(arg_SERVICES)
    set(plugin_args --grpc_out=${out_dir} --plugin=protoc-gen-grpc=${CTXFLOW_GRPC_CPP_PLUGIN})
  endif()
  add_custom_command(
    OUTPUT ${sources}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND protobuf::protoc --cpp_out=${out_dir} ${plugin_args} -I ${arg_PROTO_DIR} ${files}
    DEPENDS ${files}
    COMMENT "Generating the classes of ${target}"
    VERBATIM)
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  if(arg_SERVICES)
    target_link_libraries(${target} PUBLIC PkgConfig::grpc++)
  endif()
endfunction()
