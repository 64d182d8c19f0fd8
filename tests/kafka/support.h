// Helpers of the Kafka tests: flows with every field the formats carry, and
// protoc as the independent reader of GoFlow2's FlowMessage.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sluice/flow_record.h"
#include "sluice/texts.h"

namespace sluice::test {

// tests/files' sample flows, with MACs, VLANs, labels and record v3's
// fields as well (flow counts, BGP next hops, countries, texts interned into
// `texts`, speeds, boundaries). An element is present when its value is not
// the default, and in every fourth flow also when it is (a next hop of ::,
// an AS of 0); an absent element has its default value.
std::vector<FlowRecord> kafka_sample_flows(std::size_t count, TextTable& texts, std::uint32_t seed = 1);

// Marks present the elements whose fields hold other than a new record's
// value (all of them with `zeros_too`): the presence a CSV row cannot carry.
void mark_present_what_is_set(FlowRecord& f, bool zeros_too = false);

// One FlowMessage as `protoc --decode` prints it: field name -> value, bytes
// unescaped, numbers as printed; repeated fields keep their last value.
using ProtocFields = std::map<std::string, std::string>;

// Length-delimited FlowMessages, one after another, decoded by protoc with
// GoFlow2's flow.proto (tests/kafka/flow.proto).
std::vector<ProtocFields> protoc_decode(const std::string& delimited_messages);

// `text` (protobuf text format of one FlowMessage) encoded by protoc.
std::string protoc_encode(const std::string& text);

// Checks, with gtest, that what protoc read is `flow` in GoFlow2's terms,
// and sluice's fields beyond them (unknown to flow.proto, printed by number).
void expect_flow_message(const ProtocFields& message, const FlowRecord& flow, const TextTable& texts);

// A varint length and the bytes: how one delimited message is framed.
std::string delimited(const std::string& message);

}  // namespace sluice::test
