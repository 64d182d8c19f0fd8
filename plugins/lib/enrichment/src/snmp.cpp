#include "sluice/enrichment/snmp.h"

// clang-format off
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
// clang-format on

#include <dlfcn.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <span>
#include <stdexcept>
#include <utility>

namespace sluice::enrichment {

namespace {

// sysName.0, and ifDescr, ifName, ifAlias, ifHighSpeed of an ifIndex appended.
constexpr std::array<oid, 9> sys_name{1, 3, 6, 1, 2, 1, 1, 5, 0};
constexpr std::array<oid, 10> if_descr{1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
constexpr std::array<oid, 11> if_name{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1};
constexpr std::array<oid, 11> if_alias{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18};
constexpr std::array<oid, 11> if_high_speed{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15};

// net-snmp keeps what init_snmp sets up (and some of it for good) in its
// globals. It stays loaded once used, so that none of that becomes memory of
// an unloaded library when the engine closes the plugin that brought it in,
// which LeakSanitizer would report as leaked.
void keep_net_snmp_loaded() {
  Dl_info library{};
  if (dladdr(reinterpret_cast<void*>(&init_snmp), &library) != 0 && library.dli_fname != nullptr)
    dlopen(library.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

void init_net_snmp() {
  static std::once_flag once;
  std::call_once(once, [] {
    keep_net_snmp_loaded();
    // No configuration files, no MIBs (numeric OIDs only), no state saved.
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    // Its messages (MIB modules it cannot find) would go to stderr without a handler.
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_EMERG);
    init_snmp("sluice");
  });
}

template <std::size_t N>
void add_oid(netsnmp_pdu* pdu, const std::array<oid, N>& base, std::uint32_t index) {
  std::array<oid, N + 1> name{};
  std::copy(base.begin(), base.end(), name.begin());
  name[N] = index;
  snmp_add_null_var(pdu, name.data(), name.size());
}

template <std::size_t N>
bool is(const netsnmp_variable_list& v, const std::array<oid, N>& base) {
  return v.name_length >= N && std::equal(base.begin(), base.end(), v.name);
}

std::string text_of(const netsnmp_variable_list& v) {
  if (v.type != ASN_OCTET_STR || v.val.string == nullptr) return {};
  return {reinterpret_cast<const char*>(v.val.string), v.val_len};
}

SnmpAnswer answer_of(const netsnmp_pdu& pdu) {
  SnmpAnswer answer;
  answer.answered = pdu.errstat == SNMP_ERR_NOERROR;
  if (!answer.answered) return answer;
  std::string descr;
  for (const netsnmp_variable_list* v = pdu.variables; v != nullptr; v = v->next_variable) {
    if (is(*v, sys_name))
      answer.sys_name = text_of(*v);
    else if (is(*v, if_name))
      answer.if_name = text_of(*v);
    else if (is(*v, if_descr))
      descr = text_of(*v);
    else if (is(*v, if_alias))
      answer.if_alias = text_of(*v);
    else if (is(*v, if_high_speed) && (v->type == ASN_GAUGE || v->type == ASN_INTEGER) && v->val.integer != nullptr)
      answer.speed = static_cast<std::uint32_t>(*v->val.integer);
  }
  if (answer.if_name.empty()) answer.if_name = std::move(descr);
  return answer;
}

}  // namespace

SnmpAgent::SnmpAgent(const std::string& peer, const std::string& community, std::chrono::milliseconds timeout,
                     int retries) {
  init_net_snmp();
  netsnmp_session settings;
  snmp_sess_init(&settings);
  settings.version = SNMP_VERSION_2c;
  std::string peer_name = "udp:" + peer;
  if (peer.starts_with('[')) peer_name = "udp6:" + peer;
  settings.peername = peer_name.data();
  std::string community_text = community;
  settings.community = reinterpret_cast<u_char*>(community_text.data());
  settings.community_len = community_text.size();
  settings.timeout = static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
  settings.retries = retries;
  settings.callback = &SnmpAgent::on_response;
  settings.callback_magic = this;
  session_ = snmp_sess_open(&settings);
  if (session_ == nullptr) throw std::runtime_error(fmt::format("SNMP agent {}: cannot open a session", peer));
}

SnmpAgent::~SnmpAgent() {
  waiting_.clear();
  snmp_sess_close(session_);
}

int SnmpAgent::on_response(int operation, snmp_session* /*session*/, int request, snmp_pdu* pdu, void* self) {
  auto& agent = *static_cast<SnmpAgent*>(self);
  const auto it = agent.waiting_.find(request);
  if (it == agent.waiting_.end()) return 1;
  SnmpAnswer answer;
  if (operation == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != nullptr) answer = answer_of(*pdu);
  agent.arrived_.emplace_back(it->second, std::move(answer));
  agent.waiting_.erase(it);
  return 1;
}

bool SnmpAgent::ask(std::uint32_t index) {
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_GET);
  snmp_add_null_var(pdu, sys_name.data(), sys_name.size());
  add_oid(pdu, if_name, index);
  add_oid(pdu, if_descr, index);
  add_oid(pdu, if_alias, index);
  add_oid(pdu, if_high_speed, index);
  const int request = snmp_sess_send(session_, pdu);  // the request's id; 0: not sent
  if (request == 0) {
    snmp_free_pdu(pdu);
    return false;
  }
  waiting_.emplace(request, index);
  return true;
}

void SnmpAgent::pump(const std::function<void(std::uint32_t, const SnmpAnswer&)>& on_answer) {
  for (;;) {
    int fds = 0, block = 0;
    fd_set readable;
    FD_ZERO(&readable);
    timeval wait{};
    snmp_sess_select_info(session_, &fds, &readable, &wait, &block);
    timeval now{};
    if (fds == 0 || select(fds, &readable, nullptr, nullptr, &now) <= 0) break;
    snmp_sess_read(session_, &readable);
  }
  snmp_sess_timeout(session_);
  for (auto& [index, answer] : std::exchange(arrived_, {})) on_answer(index, answer);
}

}  // namespace sluice::enrichment
