#include <cstddef>
#include <cstring>

#include "formats.h"
#include "sluice/fields.h"

namespace sluice::flowcodec {
namespace detail {
namespace {

// The bytes of [begin, end) of the record ORed together, a word at a time:
// a byte loop was half the protobuf encoder's time.
std::uint64_t any_bytes(const FlowRecord& flow, std::size_t begin, std::size_t end) noexcept {
  const auto* bytes = reinterpret_cast<const char*>(&flow);
  std::uint64_t any = 0;
  std::size_t at = begin;
  for (; at + sizeof any <= end; at += sizeof any) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes + at, sizeof word);
    any |= word;
  }
  for (; at < end; ++at) any |= static_cast<unsigned char>(bytes[at]);
  return any;
}

}  // namespace

bool has_enrichment(const FlowRecord& flow) noexcept {
  constexpr std::uint64_t elements = FlowRecord::bit(Element::in_if_speed) | FlowRecord::bit(Element::out_if_speed) |
                                     FlowRecord::bit(Element::in_if_boundary) |
                                     FlowRecord::bit(Element::out_if_boundary);
  // end_reason and biflow_direction sit between the boundaries and the
  // speeds: they are no enrichment.
  static_assert(offsetof(FlowRecord, end_reason) == offsetof(FlowRecord, out_if_boundary) + 1 &&
                offsetof(FlowRecord, in_if_speed) == offsetof(FlowRecord, biflow_direction) + 1);
  return (flow.present & elements) != 0 ||
         any_bytes(flow, offsetof(FlowRecord, src_country), offsetof(FlowRecord, end_reason)) != 0 ||
         any_bytes(flow, offsetof(FlowRecord, in_if_speed),
                   offsetof(FlowRecord, out_if_connectivity) + sizeof(TextId)) != 0;
}

}  // namespace detail

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "json") return Format::json;
  if (name == "protobuf") return Format::protobuf;
  if (name == "csv") return Format::csv;
  return std::nullopt;
}

std::unique_ptr<Encoder> make_encoder(Format format, const TextTable& texts, csv::TimeFormat time_format) {
  switch (format) {
    case Format::json: return detail::make_json_encoder(texts, time_format);
    case Format::protobuf: return detail::make_protobuf_encoder(texts);
    case Format::csv: return detail::make_csv_encoder(time_format);
  }
  return nullptr;
}

std::unique_ptr<Decoder> make_decoder(Format format, TextTable& texts) {
  switch (format) {
    case Format::json: return detail::make_json_decoder(texts);
    case Format::protobuf: return detail::make_protobuf_decoder(texts);
    case Format::csv: return detail::make_csv_decoder();
  }
  return nullptr;
}

}  // namespace sluice::flowcodec
