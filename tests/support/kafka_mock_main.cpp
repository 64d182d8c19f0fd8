// kafka_mock: librdkafka's mock Kafka cluster as a program, for scripts (the
// Kafka benchmark) and people. No Kafka broker is packaged for Debian 12.
//
//   kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
//
// Prints the bootstrap servers on one line, then reads commands on stdin,
// one a line, answering "ok" or "error: ...":
//   down ID|all     a broker (1..N), or all, closes and refuses connections
//   up ID|all       ... and accepts them again
//   topic NAME PARTITIONS
//   quit            (or the end of stdin, or SIGTERM)
#include <csignal>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "kafka_mock.h"

namespace {

void for_brokers(sluice::testing::KafkaMockCluster& cluster, const std::string& which, bool up) {
  const int first = which == "all" ? 1 : std::stoi(which);
  const int last = which == "all" ? cluster.brokers() : first;
  for (int id = first; id <= last; ++id) up ? cluster.set_up(id) : cluster.set_down(id);
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      brokers = std::stoi(argv[++i]);
    } else if (arg == "--topic" && i + 1 < argc) {
      const std::string topic = argv[++i];
      const auto colon = topic.rfind(':');
      topics.emplace_back(topic.substr(0, colon), colon == std::string::npos ? 1 : std::stoi(topic.substr(colon + 1)));
    } else {
      std::cerr << "usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...\n";
      return 64;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  sluice::testing::KafkaMockCluster cluster(brokers);
  for (const auto& [name, partitions] : topics) cluster.create_topic(name, partitions);
  std::cout << cluster.bootstrap_servers() << std::endl;

  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream words(line);
    std::string command, what;
    words >> command >> what;
    try {
      if (command == "quit") break;
      if (command == "down" || command == "up") {
        for_brokers(cluster, what, command == "up");
      } else if (command == "topic") {
        int partitions = 1;
        words >> partitions;
        cluster.create_topic(what, partitions);
      } else {
        throw std::invalid_argument("unknown command \"" + command + "\"");
      }
      std::cout << "ok" << std::endl;
    } catch (const std::exception& e) {
      std::cout << "error: " << e.what() << std::endl;
    }
  }
  return 0;
}
