#include "kafka_mock.h"

// clang-format off
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
// clang-format on

#include <stdexcept>

namespace sluice::testing {

struct KafkaMockCluster::Handle {
  rd_kafka_t* rk = nullptr;  // the mock cluster's host: a producer that never produces
  rd_kafka_mock_cluster_t* cluster = nullptr;

  ~Handle() {
    if (cluster) rd_kafka_mock_cluster_destroy(cluster);
    if (rk) rd_kafka_destroy(rk);
  }
};

KafkaMockCluster::KafkaMockCluster(int brokers) : handle_(std::make_unique<Handle>()), brokers_(brokers) {
  char error[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);  // the mock's connection chatter aside
  handle_->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (!handle_->rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("rd_kafka_new: ") + error);
  }
  handle_->cluster = rd_kafka_mock_cluster_new(handle_->rk, brokers);
  if (!handle_->cluster) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(handle_->cluster);
}

KafkaMockCluster::~KafkaMockCluster() = default;

void KafkaMockCluster::create_topic(const std::string& name, int partitions) {
  const int replicas = brokers_ < 3 ? brokers_ : 3;
  if (const auto e = rd_kafka_mock_topic_create(handle_->cluster, name.c_str(), partitions, replicas))
    throw std::runtime_error("creating topic " + name + ": " + rd_kafka_err2str(e));
}

void KafkaMockCluster::set_down(int broker) {
  if (const auto e = rd_kafka_mock_broker_set_down(handle_->cluster, broker))
    throw std::runtime_error("broker " + std::to_string(broker) + " down: " + rd_kafka_err2str(e));
}

void KafkaMockCluster::set_up(int broker) {
  if (const auto e = rd_kafka_mock_broker_set_up(handle_->cluster, broker))
    throw std::runtime_error("broker " + std::to_string(broker) + " up: " + rd_kafka_err2str(e));
}

void KafkaMockCluster::set_rtt(int broker, std::chrono::milliseconds rtt) {
  if (const auto e = rd_kafka_mock_broker_set_rtt(handle_->cluster, broker, static_cast<int>(rtt.count())))
    throw std::runtime_error("broker " + std::to_string(broker) + " rtt: " + rd_kafka_err2str(e));
}

}  // namespace sluice::testing
