// Helpers of the Kafka tests: flows with every field the formats carry, and
// protoc as the independent reader of GoFlow2's FlowMessage.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sluice/flow_record.h"

namespace sluice::test {

// tests/files' sample flows, with MACs, VLANs and labels as well.
std::vector<FlowRecord> kafka_sample_flows(std::size_t count, std::uint32_t seed = 1);

// One FlowMessage as `protoc --decode` prints it: field name -> value, bytes
// unescaped, numbers as printed; repeated fields keep their last value.
using ProtocFields = std::map<std::string, std::string>;

// Length-delimited FlowMessages, one after another, decoded by protoc with
// GoFlow2's flow.proto (tests/kafka/flow.proto).
std::vector<ProtocFields> protoc_decode(const std::string& delimited_messages);

// `text` (protobuf text format of one FlowMessage) encoded by protoc.
std::string protoc_encode(const std::string& text);

// Checks, with gtest, that what protoc read is `flow` in GoFlow2's terms.
void expect_flow_message(const ProtocFields& message, const FlowRecord& flow);

// A varint length and the bytes: how one delimited message is framed.
std::string delimited(const std::string& message);

}  // namespace sluice::test
