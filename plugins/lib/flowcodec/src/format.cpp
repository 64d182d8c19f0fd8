#include <array>
#include <bit>
#include <cstddef>
#include <cstring>

#include "formats.h"
#include "sluice/fields.h"

namespace sluice::flowcodec {
namespace detail {

bool has_enrichment(const FlowRecord& flow) noexcept {
  constexpr std::size_t begin = offsetof(FlowRecord, src_country);
  constexpr std::size_t end = offsetof(FlowRecord, out_if_connectivity) + sizeof(TextId);
  constexpr std::uint64_t elements = FlowRecord::bit(Element::in_if_speed) | FlowRecord::bit(Element::out_if_speed) |
                                     FlowRecord::bit(Element::in_if_boundary) |
                                     FlowRecord::bit(Element::out_if_boundary);
  // end_reason and biflow_direction, the first word's last two bytes, are no
  // enrichment: that word is masked.
  static_assert(offsetof(FlowRecord, end_reason) == begin + 6 && offsetof(FlowRecord, biflow_direction) == begin + 7);
  constexpr auto enrichment_of_first_word =
      std::bit_cast<std::uint64_t>(std::array<unsigned char, 8>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0});
  // Word by word: a byte loop was half the protobuf encoder's time.
  const auto* bytes = reinterpret_cast<const char*>(&flow);
  std::uint64_t word = 0;
  std::memcpy(&word, bytes + begin, sizeof word);
  std::uint64_t any = (flow.present & elements) | (word & enrichment_of_first_word);
  std::size_t at = begin + sizeof word;
  for (; at + sizeof word <= end; at += sizeof word) {
    std::memcpy(&word, bytes + at, sizeof word);
    any |= word;
  }
  for (; at < end; ++at) any |= static_cast<unsigned char>(bytes[at]);
  return any != 0;
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
