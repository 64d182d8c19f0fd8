// The encoders and decoders of each format, behind make_encoder/make_decoder.
#pragma once

#include "sluice/flowcodec/format.h"

namespace sluice::flowcodec::detail {

std::unique_ptr<Encoder> make_json_encoder(const TextTable& texts, csv::TimeFormat time_format);
std::unique_ptr<Decoder> make_json_decoder(TextTable& texts);
std::unique_ptr<Encoder> make_protobuf_encoder(const TextTable& texts);
std::unique_ptr<Decoder> make_protobuf_decoder(TextTable& texts);
std::unique_ptr<Encoder> make_csv_encoder(csv::TimeFormat time_format);
std::unique_ptr<Decoder> make_csv_decoder();

// Whether the flow has any enrichment field (the record's last ones, from
// src_country to out_if_connectivity): most flows have none (no enrich
// transform ran), and encoders then pass over those fields in one look.
bool has_enrichment(const FlowRecord& flow) noexcept;

// Calls on_line(line) for each non-empty line of `text` ("\n" or "\r\n" ends
// a line); false as soon as one returns false, after the rest have been read.
template <class OnLine>
bool for_each_line(std::string_view text, OnLine&& on_line) {
  bool all = true;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && !on_line(line)) all = false;
  }
  return all;
}

}  // namespace sluice::flowcodec::detail
