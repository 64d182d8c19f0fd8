#include "formats.h"

namespace sluice::flowcodec {

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "json") return Format::json;
  if (name == "protobuf") return Format::protobuf;
  if (name == "csv") return Format::csv;
  return std::nullopt;
}

std::unique_ptr<Encoder> make_encoder(Format format, csv::TimeFormat time_format) {
  switch (format) {
    case Format::json: return detail::make_json_encoder(time_format);
    case Format::protobuf: return detail::make_protobuf_encoder();
    case Format::csv: return detail::make_csv_encoder(time_format);
  }
  return nullptr;
}

std::unique_ptr<Decoder> make_decoder(Format format) {
  switch (format) {
    case Format::json: return detail::make_json_decoder();
    case Format::protobuf: return detail::make_protobuf_decoder();
    case Format::csv: return detail::make_csv_decoder();
  }
  return nullptr;
}

}  // namespace sluice::flowcodec
