// What every UDP collector source does around its decoder: receive
// datagrams in batches, keep those of allowed senders, gather the decoded
// records into batches, let writers flush when the senders go quiet, count
// what the kernel dropped, and end a bounded run once the senders stay
// quiet. A collector plugin adds its decoder and its own metrics.
#pragma once

#include <sluice/batch.h>
#include <sluice/host.h>
#include <sluice/metrics.h>
#include <sluice/options.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/net/address.h"
#include "sluice/net/batch_pool.h"
#include "sluice/net/udp.h"

namespace sluice::net {

// The options every collector has; `listen`'s default is the protocol's
// address, as written in TOML ("\"0.0.0.0:6343\"").
constexpr OptionSpec listen_option(std::string_view default_value) {
  return {.name = "listen",
          .type = OptionType::string,
          .default_value = default_value,
          .help = "\"host:port\" to receive on (IPv6: \"[addr]:port\")"};
}
inline constexpr OptionSpec receive_buffer_option{.name = "receive_buffer",
                                                  .type = OptionType::integer,
                                                  .default_value = "8388608",
                                                  .help = "socket receive buffer in bytes (0: the system's default)",
                                                  .min = "0",
                                                  .max = "2147483647"};
inline constexpr OptionSpec allowed_exporters_option{
    .name = "allowed_exporters",
    .type = OptionType::string_list,
    .default_value = "[]",
    .help = "prefixes of exporters (sending addresses) to accept (empty: all); others are counted and ignored"};
inline constexpr OptionSpec idle_timeout_option{
    .name = "idle_timeout",
    .type = OptionType::duration,
    .default_value = "\"0s\"",
    .help = "end once no datagram has arrived for this long, after the first (0s: run until stopped)"};

inline constexpr OptionSpec max_exporters_option{
    .name = "max_exporters",
    .type = OptionType::integer,
    .default_value = "4096",
    .help =
        "senders whose state (templates, sequence numbers, metrics) is kept at most; a new one in a full table "
        "replaces the longest-silent",
    .min = "1",
    .max = "10000000"};
inline constexpr OptionSpec exporter_idle_timeout_option{
    .name = "exporter_idle_timeout",
    .type = OptionType::duration,
    .default_value = "\"1h\"",
    .help = "a sender silent this long is forgotten with its templates, counters and metrics"};

// How many senders a collector's decoder keeps, and for how long.
struct SenderLimits {
  std::size_t max_senders = 4096;
  std::uint64_t idle_ms = 3'600'000;
};
// Reads max_exporters and exporter_idle_timeout (more than 0s); throws OptionError.
SenderLimits sender_limits(const Options& options);
// The warning for the first sender forgotten to make room in a full table:
// `senders` names them ("exporters", "agents").
std::string full_table_warning(std::string_view senders, const SenderLimits& limits);

struct CollectorConfig {
  Endpoint listen;
  int receive_buffer = 0;
  std::vector<Prefix> allowed;  // senders accepted; empty: all
  std::size_t batch_size = 4096;
  std::chrono::milliseconds idle_timeout{0};
};

// Reads `listen` and the shared options; throws OptionError naming the key.
CollectorConfig collector_config(const Options& options);

class UdpCollector {
 public:
  // Decodes one datagram, appending its records.
  using Decode = std::function<void(const Datagram&, std::uint64_t received_ms, std::vector<FlowRecord>& records)>;

  UdpCollector(CollectorConfig config, Host& host);

  // Binds the socket, shared with the source's other instances if it has
  // any (SO_REUSEPORT: each sender keeps to one of them).
  void start();
  // One poll of the source: for up to 100 ms, decodes what arrives, emitting
  // each batch once full, and then what is left or, when the senders have
  // gone quiet, a flush event. While datagrams flow, it sleeps between drains
  // of the socket (1 to 8 ms, as its receive buffer allows)
  // rather than waking for each datagram.
  // False when the run is over (the pipeline stops, or idle_timeout passed).
  bool poll(Emitter& out, const Decode& decode);
  // Datagrams received, dropped by the kernel, refused: the summary's lines.
  std::string report() const;

 private:
  // Decodes what one receive takes from the socket; returns how many datagrams.
  std::size_t receive(Emitter& out, const Decode& decode);
  bool allowed(const IpAddress& sender) const;
  bool idle() const;
  void note_kernel_drops();

  CollectorConfig config_;
  Host& host_;
  std::optional<UdpReceiver> receiver_;
  std::shared_ptr<Batch> batch_;
  bool unflushed_ = false;  // records emitted since the last flush event
  std::optional<std::chrono::steady_clock::time_point> last_datagram_;
  std::chrono::microseconds coalesce_wait_{1000};  // the sleep between drains while datagrams flow
  std::uint64_t datagrams_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t kernel_drops_ = 0;  // counted so far
  Counter kernel_drops_counter_;
  Counter refused_counter_;
  BatchPool batches_;
};

}  // namespace sluice::net
