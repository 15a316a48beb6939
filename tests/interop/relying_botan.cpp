/*
 * relying_botan.cpp - pcad interop "relying party" verifier built on Botan 2.
 *
 * tests/interop feeds it jobs on stdin, one TAB-separated line each, and
 * reads one answer line per job (tests/interop/PROTOCOL.md):
 *
 *   path ID LEAF INTERS ROOTS USAGE HOST   chain, purpose and host name
 *   crl  ID LEAF INTERS ROOTS CRLS         chain plus the leaf's CRL
 *   ocsp ID LEAF INTERS ROOTS              chain plus an online OCSP query
 *   tls  ID PORT HOST ROOTS                TLS handshake to 127.0.0.1:PORT
 *
 * answered by "ID\tOK", "ID\tREVOKED\tdetail" or "ID\tFAIL\tdetail".
 * All checking is Botan's own (x509_path_validate, OCSP::online_check,
 * TLS::Client); details are Botan's status strings.  Exit status 0 when
 * every line was answered, 2 for a malformed line or a usage error.
 *
 * Built by CMake as pcad-relying-botan (linked with botan-2), or by hand:
 *   g++ -std=c++17 -O1 -Wall -Wextra -o relying-botan relying_botan.cpp \
 *       $(pkg-config --cflags --libs botan-2)
 * Needs Botan 2.19 (Debian's libbotan-2-dev).
 */

#include <botan/auto_rng.h>
#include <botan/certstor.h>
#include <botan/credentials_manager.h>
#include <botan/data_src.h>
#include <botan/ocsp.h>
#include <botan/tls_client.h>
#include <botan/x509_crl.h>
#include <botan/x509cert.h>
#include <botan/x509path.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

/* Botan's own default, for X.509 paths and for its TLS policy alike
 * (RSA-2048 and P-256 pass; SHA-1 signatures do not). */
constexpr size_t kMinKeyStrength = 110;
/* Network timeout for OCSP over HTTP and for TLS reads. */
constexpr std::chrono::milliseconds kNetTimeout{10000};

struct Outcome {
  std::string verdict; /* OK, REVOKED or FAIL */
  std::string detail;
};

Outcome ok() { return {"OK", ""}; }
Outcome fail(const std::string& why) { return {"FAIL", why}; }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(s);
  while (std::getline(in, field, sep)) out.push_back(field);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

/* "-" means none; otherwise a comma-separated list of paths. */
std::vector<std::string> path_list(const std::string& field) {
  if (field == "-") return {};
  return split(field, ',');
}

/* Every certificate in a PEM file (a bundle is fine), or the one in a DER
 * file. */
std::vector<Botan::X509_Certificate> load_certs(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  const std::string begin = "-----BEGIN CERTIFICATE-----";
  std::vector<Botan::X509_Certificate> certs;
  for (size_t at = text.find(begin); at != std::string::npos;
       at = text.find(begin, at + begin.size())) {
    Botan::DataSource_Memory pem(text.substr(at));
    certs.emplace_back(pem);
  }
  if (certs.empty()) certs.emplace_back(path);
  return certs;
}

/* The chain handed to Botan: LEAF's first certificate, then INTERS. */
std::vector<Botan::X509_Certificate> load_chain(const std::string& leaf,
                                                const std::string& inters) {
  std::vector<Botan::X509_Certificate> chain{load_certs(leaf).front()};
  for (const auto& path : path_list(inters))
    for (const auto& cert : load_certs(path)) chain.push_back(cert);
  return chain;
}

/* ROOTS are the only trust anchors; never the system store. */
void add_roots(Botan::Certificate_Store_In_Memory& store,
               const std::string& roots) {
  for (const auto& path : path_list(roots))
    for (const auto& cert : load_certs(path)) store.add_certificate(cert);
}

/* X509_CRL's file constructor takes DER and PEM alike.  Only CRLs by the
 * leaf's issuer go into the store: Botan checks every certificate of the
 * path for which the store has a CRL, and the protocol checks the leaf. */
void add_crls(Botan::Certificate_Store_In_Memory& store,
              const std::string& crls, const Botan::X509_Certificate& leaf) {
  for (const auto& path : path_list(crls)) {
    auto crl = std::make_shared<const Botan::X509_CRL>(path);
    if (crl->issuer_dn() == leaf.issuer_dn()) store.add_crl(crl);
  }
}

Botan::Usage_Type usage_type(const std::string& usage) {
  if (usage == "server") return Botan::Usage_Type::TLS_SERVER_AUTH;
  if (usage == "client") return Botan::Usage_Type::TLS_CLIENT_AUTH;
  if (usage == "ocsp") return Botan::Usage_Type::OCSP_RESPONDER;
  return Botan::Usage_Type::UNSPECIFIED; /* any, code */
}

/* OK, REVOKED when Botan's overall status is CERT_IS_REVOKED, else FAIL. */
Outcome judge(const Botan::Path_Validation_Result& result) {
  if (result.successful_validation()) return ok();
  if (result.result() == Botan::Certificate_Status_Code::CERT_IS_REVOKED)
    return {"REVOKED", result.result_string()};
  return fail(result.result_string());
}

/* path ID LEAF INTERS ROOTS USAGE HOST */
Outcome run_path(const std::vector<std::string>& f) {
  Botan::Certificate_Store_In_Memory store;
  add_roots(store, f[4]);
  const auto chain = load_chain(f[2], f[3]);
  const std::string host = f[6] == "-" ? "" : f[6];
  const Botan::Path_Validation_Restrictions restrictions(false,
                                                         kMinKeyStrength);
  const auto result = Botan::x509_path_validate(
      chain, restrictions, store, host, usage_type(f[5]),
      std::chrono::system_clock::now());
  if (!result.successful_validation()) return judge(result);
  /* Botan 2 has no code-signing Usage_Type: the path was validated with
   * UNSPECIFIED, so require the codeSigning EKU (1.3.6.1.5.5.7.3.3) here,
   * with Botan's own notion of it (a leaf without any EKU allows all). */
  if (f[5] == "code" &&
      !chain[0].allowed_extended_usage(Botan::OID("1.3.6.1.5.5.7.3.3")))
    return fail(Botan::Path_Validation_Result::status_string(
        Botan::Certificate_Status_Code::INVALID_USAGE));
  return ok();
}

/* crl ID LEAF INTERS ROOTS CRLS: revocation data is required, so a leaf
 * whose issuer has no CRL here fails with "No revocation data".  Botan only
 * requires it for the leaf (ocsp_all_intermediates is false). */
Outcome run_crl(const std::vector<std::string>& f) {
  Botan::Certificate_Store_In_Memory store;
  add_roots(store, f[4]);
  const auto chain = load_chain(f[2], f[3]);
  add_crls(store, f[5], chain[0]);
  const Botan::Path_Validation_Restrictions restrictions(true,
                                                         kMinKeyStrength);
  return judge(Botan::x509_path_validate(chain, restrictions, store, "",
                                         Botan::Usage_Type::UNSPECIFIED,
                                         std::chrono::system_clock::now()));
}

/* ocsp ID LEAF INTERS ROOTS.  x509_path_validate's own online OCSP
 * (ocsp_timeout > 0) soft-fails when the responder cannot be reached, and
 * its reference time is taken before the query, so a response made in the
 * next second counts as "not yet valid".  Instead: validate the path, fetch
 * the response with OCSP::online_check (Botan's client, which throws on
 * HTTP errors), then validate again with that response and revocation data
 * required; Botan then checks its signature and the leaf's status. */
Outcome run_ocsp(const std::vector<std::string>& f) {
  Botan::Certificate_Store_In_Memory store;
  add_roots(store, f[4]);
  const auto chain = load_chain(f[2], f[3]);
  const auto path = Botan::x509_path_validate(
      chain, Botan::Path_Validation_Restrictions(false, kMinKeyStrength), store);
  if (!path.successful_validation()) return judge(path);
  if (path.cert_path().size() < 2) return fail("leaf is its own trust root");
  if (chain[0].ocsp_responder().empty())
    return fail("leaf has no OCSP responder in its AIA");

  const auto& issuer = *path.cert_path()[1];
  auto response = std::make_shared<const Botan::OCSP::Response>(
      Botan::OCSP::online_check(issuer, chain[0], &store, kNetTimeout));
  if (response->status() != Botan::OCSP::Response_Status_Code::Successful)
    return fail("OCSP responseStatus " +
                std::to_string(static_cast<int>(response->status())));
  return judge(Botan::x509_path_validate(
      chain, Botan::Path_Validation_Restrictions(true, kMinKeyStrength), store,
      "", Botan::Usage_Type::UNSPECIFIED, std::chrono::system_clock::now(),
      std::chrono::milliseconds(0), {response}));
}

/* ---- tls mode: Botan's TLS client (TLS 1.2 at most in Botan 2) ---- */

/* Botan's default policy, but no revocation data is asked of the server's
 * chain (the protocol checks chain and name only). */
class Tls_Policy final : public Botan::TLS::Policy {
 public:
  bool require_cert_revocation_info() const override { return false; }
};

/* Offers ROOTS as the only trust anchors; no client certificate. */
class Tls_Credentials final : public Botan::Credentials_Manager {
 public:
  explicit Tls_Credentials(Botan::Certificate_Store* roots) : m_roots(roots) {}
  std::vector<Botan::Certificate_Store*> trusted_certificate_authorities(
      const std::string&, const std::string&) override {
    return {m_roots};
  }

 private:
  Botan::Certificate_Store* m_roots;
};

/* Sends TLS records on the socket and collects the application data.  The
 * server's chain is checked by Botan's default tls_verify_cert_chain:
 * x509_path_validate for TLS_SERVER_AUTH and the SNI host name. */
class Tls_Callbacks final : public Botan::TLS::Callbacks {
 public:
  explicit Tls_Callbacks(int fd) : m_fd(fd) {}
  std::string received;
  bool closed = false;

  void tls_emit_data(const uint8_t data[], size_t size) override {
    while (size > 0) {
      const ssize_t n = ::send(m_fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      data += n;
      size -= static_cast<size_t>(n);
    }
  }
  void tls_record_received(uint64_t, const uint8_t data[],
                           size_t size) override {
    received.append(reinterpret_cast<const char*>(data), size);
  }
  void tls_alert(Botan::TLS::Alert alert) override {
    if (alert.type() == Botan::TLS::Alert::CLOSE_NOTIFY) closed = true;
  }
  bool tls_session_established(const Botan::TLS::Session&) override {
    return false; /* do not cache the session */
  }

 private:
  int m_fd;
};

/* A TCP connection to 127.0.0.1:port with a receive timeout, or -1. */
int connect_local(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval tv{static_cast<time_t>(kNetTimeout.count() / 1000), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/* Feeds what the socket gives to the client until done() holds; false when
 * the peer closed or the read timed out first. */
template <typename Done>
bool pump(int fd, Botan::TLS::Client& client, Done done) {
  uint8_t buf[4096];
  while (!done()) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    client.received_data(buf, static_cast<size_t>(n));
  }
  return true;
}

Outcome tls_exchange(int fd, const std::string& host, uint16_t port,
                     Botan::Certificate_Store* roots) {
  Tls_Callbacks callbacks(fd);
  Botan::TLS::Session_Manager_Noop sessions;
  Tls_Credentials credentials(roots);
  Tls_Policy policy;
  Botan::AutoSeeded_RNG rng;
  Botan::TLS::Client client(callbacks, sessions, credentials, policy, rng,
                            Botan::TLS::Server_Information(host, port));
  if (!pump(fd, client, [&] { return client.is_active() || callbacks.closed; })
      || !client.is_active())
    return fail("handshake did not complete");
  client.send("GET / HTTP/1.0\r\n\r\n");
  pump(fd, client, [&] {
    return callbacks.closed || callbacks.received.find('\n') != std::string::npos;
  });
  if (callbacks.received.find('\n') == std::string::npos)
    return fail("no answer line from the server");
  if (client.is_active()) client.close();
  return ok();
}

/* tls ID PORT HOST ROOTS */
Outcome run_tls(const std::vector<std::string>& f) {
  Botan::Certificate_Store_In_Memory store;
  add_roots(store, f[4]);
  const auto port = static_cast<uint16_t>(std::stoi(f[2]));
  const std::string host = f[3] == "-" ? "" : f[3];
  const int fd = connect_local(port);
  if (fd < 0) return fail("cannot connect to 127.0.0.1:" + f[2]);
  try {
    const Outcome out = tls_exchange(fd, host, port, &store);
    ::close(fd);
    return out;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

/* ---- the line protocol ---- */

bool is_port(const std::string& s) {
  if (s.empty() || s.size() > 5 ||
      s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const long port = std::strtol(s.c_str(), nullptr, 10);
  return port >= 1 && port <= 65535;
}

/* Why the job line is malformed, or "" when it is well formed. */
std::string malformed(const std::vector<std::string>& f) {
  const std::string& mode = f[0];
  const size_t want = mode == "path" ? 7 : mode == "crl" ? 6
                    : mode == "ocsp" || mode == "tls" ? 5 : 0;
  if (want == 0) return "unknown mode '" + mode + "'";
  if (f.size() != want)
    return mode + " wants " + std::to_string(want) + " fields, got " +
           std::to_string(f.size());
  for (const auto& field : f)
    if (field.empty()) return "empty field";
  if (mode == "path") {
    const std::string& u = f[5];
    if (u != "server" && u != "client" && u != "code" && u != "ocsp" &&
        u != "any")
      return "unknown usage '" + u + "'";
  }
  if (mode == "tls" && !is_port(f[2])) return "bad port '" + f[2] + "'";
  return "";
}

Outcome run_job(const std::vector<std::string>& f) {
  try {
    if (f[0] == "path") return run_path(f);
    if (f[0] == "crl") return run_crl(f);
    if (f[0] == "ocsp") return run_ocsp(f);
    return run_tls(f);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

/* Details go on one line of the answer. */
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 1) {
    std::cerr << "usage: " << argv[0]
              << " < jobs (one TAB-separated job per line)\n";
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = split(line, '\t');
    const std::string why = malformed(fields);
    if (!why.empty()) {
      std::cerr << "relying-botan: malformed line: " << why << "\n";
      return 2;
    }
    const Outcome out = run_job(fields);
    std::cout << fields[1] << '\t' << out.verdict;
    if (out.verdict != "OK") std::cout << '\t' << one_line(out.detail);
    std::cout << std::endl; /* flushes */
  }
  return 0;
}
