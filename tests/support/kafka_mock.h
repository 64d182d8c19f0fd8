// A Kafka cluster for tests: librdkafka's mock brokers, which speak the real
// protocol on loopback ports of their own. Hosted in the test's process, or
// by the kafka_mock program for scripts and people.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace sluice::testing {

class KafkaMockCluster {
 public:
  explicit KafkaMockCluster(int brokers = 1);
  ~KafkaMockCluster();
  KafkaMockCluster(const KafkaMockCluster&) = delete;
  KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

  // "127.0.0.1:port,..." of every broker.
  const std::string& bootstrap_servers() const noexcept { return bootstrap_servers_; }
  int brokers() const noexcept { return brokers_; }

  // Replicated on up to three brokers. Producing to a topic nobody made
  // makes it with four partitions.
  void create_topic(const std::string& name, int partitions);

  // Broker ids are 1 to brokers(). A broker down closes its connections and
  // refuses new ones; it stays the leader of its partitions.
  void set_down(int broker);
  void set_up(int broker);
  // Every answer of `broker` comes `rtt` late: reading takes time.
  void set_rtt(int broker, std::chrono::milliseconds rtt);

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  int brokers_;
  std::string bootstrap_servers_;
};

}  // namespace sluice::testing
