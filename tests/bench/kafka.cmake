# The bus formats, and GoFlow2's FlowMessage by libprotobuf's generated code
# for comparison with flowcodec's hand-written varints (docs/performance.md).
find_package(Protobuf REQUIRED)
# Generated outside tests/ so that clang-tidy's header filter leaves protoc's
# code alone.
set(flow_pb_dir ${PROJECT_BINARY_DIR}/generated/flowpb)
file(MAKE_DIRECTORY ${flow_pb_dir})
protobuf_generate(LANGUAGE cpp APPEND_PATH OUT_VAR flow_pb_sources PROTOC_OUT_DIR ${flow_pb_dir}
  PROTOS ${PROJECT_SOURCE_DIR}/tests/kafka/flow.proto)
sluice_add_benchmark(kafka_bench SOURCES kafka_bench.cpp ${flow_pb_sources}
  ${PROJECT_SOURCE_DIR}/tests/files/support.cpp ${PROJECT_SOURCE_DIR}/tests/kafka/support.cpp
  LIBRARIES sluice_flowcodec sluice_test_support protobuf::libprotobuf GTest::gtest)
target_include_directories(kafka_bench PRIVATE ${flow_pb_dir} ${PROJECT_SOURCE_DIR}/tests/kafka
  ${PROJECT_SOURCE_DIR}/tests/files)
target_compile_definitions(kafka_bench PRIVATE SLUICE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# Generated code is not ours to hold to -Wpedantic.
set_source_files_properties(${flow_pb_sources} PROPERTIES COMPILE_OPTIONS "-w")
