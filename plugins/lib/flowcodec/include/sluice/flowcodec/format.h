// Flows as the messages of a bus (Kafka), and back, in three formats:
//   json      one object per flow, every field of the registry (fields.h) by
//             its name, null where the flow lacks the element
//   protobuf  GoFlow2's flowpb.FlowMessage, length-delimited (goflow2 -format=bin),
//             with GoFlow2's enricher's countries and sluice's own fields
//   csv       csv_writer's default layout without a header, protocols as numbers
// A message holds one flow or several: text formats put one per line, and
// length-delimited FlowMessages follow each other. Decoders mark present the
// elements a message has; texts (names) go through the run's TextTable.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "sluice/csv/buffer.h"
#include "sluice/csv/field_text.h"
#include "sluice/flow_record.h"
#include "sluice/texts.h"

namespace sluice::flowcodec {

enum class Format { json, protobuf, csv };

// "json", "protobuf", "csv".
std::optional<Format> parse_format(std::string_view name) noexcept;

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Appends one flow.
  virtual void encode(const FlowRecord& flow, csv::Buffer& out) = 0;
  // What goes between two flows of one message ("\n" for text).
  virtual std::string_view separator() const noexcept = 0;
};

// `time_format` applies to json and csv: iso or epoch_ms. `texts` holds the
// texts the flows' TextIds name.
std::unique_ptr<Encoder> make_encoder(Format format, const TextTable& texts,
                                      csv::TimeFormat time_format = csv::TimeFormat::iso);

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Appends the flows of one message to `out`. False when part of it is not
  // a flow of the format; what can be read is kept all the same (the other
  // lines of a text message, the FlowMessages before the fault).
  virtual bool decode(std::string_view message, std::vector<FlowRecord>& out) = 0;
};

// Text times may be ISO 8601 or epoch milliseconds, protocols names or
// numbers. Texts the messages carry are interned into `texts`.
std::unique_ptr<Decoder> make_decoder(Format format, TextTable& texts);

}  // namespace sluice::flowcodec
