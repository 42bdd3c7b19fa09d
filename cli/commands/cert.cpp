// `lagom cert init DIR` and `lagom cert issue DIR NAME`: the cluster's own
// certificate authority for --tls, made by the openssl command (no shell:
// argv only). Equivalent by hand:
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
//     -keyout DIR/ca.key -out DIR/ca.pem -days 3650 -subj /CN=lagom-cluster-ca
//   openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
//     -keyout DIR/NAME/key.pem -out DIR/NAME/req.csr -subj /CN=NAME
//   openssl x509 -req -in DIR/NAME/req.csr -CA DIR/ca.pem -CAkey DIR/ca.key \
//     -CAcreateserial -out DIR/NAME/cert.pem -days 825
//   cp DIR/ca.pem DIR/NAME/ca.pem
// DIR/NAME is then what `--tls` takes on the head, a node or a client.
#include <cstdio>
#include <filesystem>
#include <regex>

#include "cli/commands/commands.hpp"
#include "core/child_process.hpp"

namespace lagom::cli {

namespace {

namespace fs = std::filesystem;

const char* openssl_bin = "/usr/bin/openssl";

bool openssl(std::vector<std::string> args, const char* what) {
  proc::spawn_spec s;
  s.argv = {openssl_bin};
  s.argv.insert(s.argv.end(), args.begin(), args.end());
  int ws = 0;
  auto st = proc::spawn_and_wait(s, [](pid_t) {}, ws);
  if (!st || !proc::exited_cleanly(ws)) {
    std::fprintf(stderr, "lagom cert: %s failed: %s\n", what,
                 st ? ("openssl " + proc::describe_wait_status(ws)).c_str()
                    : st.to_string().c_str());
    return false;
  }
  return true;
}

std::vector<std::string> ec_key() {
  return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
}

} // namespace

int run_cert_init(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "lagom cert init: cannot create %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  if (fs::exists(dir + "/ca.key")) {
    std::fprintf(stderr, "lagom cert init: %s/ca.key exists: a cluster CA is already there "
                         "(nothing changed)\n", dir.c_str());
    return 2;
  }
  auto args = std::vector<std::string>{"req", "-x509"};
  for (auto& a : ec_key())
    args.push_back(a);
  args.insert(args.end(), {"-keyout", dir + "/ca.key", "-out", dir + "/ca.pem", "-days", "3650", "-subj",
                           "/CN=lagom-cluster-ca"});
  if (!openssl(args, "making the CA"))
    return 1;
  fs::permissions(dir + "/ca.key", fs::perms::owner_read | fs::perms::owner_write, ec);
  std::printf("lagom cert: cluster CA in %s (ca.pem, ca.key: keep ca.key private)\n",
              dir.c_str());
  return 0;
}

int run_cert_issue(const std::string& dir, const std::string& name) {
  if (!std::regex_match(name, std::regex("[A-Za-z0-9][A-Za-z0-9._-]*"))) {
    std::fprintf(stderr, "lagom cert issue: NAME '%s': letters, digits, '.', '_', '-' only\n",
                 name.c_str());
    return 2;
  }
  for (auto f : {"/ca.pem", "/ca.key"})
    if (!fs::exists(dir + f)) {
      std::fprintf(stderr, "lagom cert issue: %s%s missing: run `lagom cert init %s` first\n",
                   dir.c_str(), f, dir.c_str());
      return 2;
    }
  const std::string out = dir + "/" + name;
  std::error_code ec;
  if (fs::exists(out + "/cert.pem")) {
    std::fprintf(stderr, "lagom cert issue: %s/cert.pem exists (nothing changed)\n", out.c_str());
    return 2;
  }
  fs::create_directories(out, ec);
  auto req = std::vector<std::string>{"req"};
  for (auto& a : ec_key())
    req.push_back(a);
  req.insert(req.end(), {"-keyout", out + "/key.pem", "-out", out + "/req.csr", "-subj",
                         "/CN=" + name});
  if (!openssl(req, "making the key and request"))
    return 1;
  if (!openssl({"x509", "-req", "-in", out + "/req.csr", "-CA", dir + "/ca.pem", "-CAkey",
                dir + "/ca.key", "-CAcreateserial", "-out", out + "/cert.pem", "-days", "825"},
               "signing the certificate"))
    return 1;
  fs::remove(out + "/req.csr", ec);
  fs::copy_file(dir + "/ca.pem", out + "/ca.pem", fs::copy_options::overwrite_existing, ec);
  if (ec) {
    std::fprintf(stderr, "lagom cert issue: cannot copy ca.pem: %s\n", ec.message().c_str());
    return 1;
  }
  fs::permissions(out + "/key.pem", fs::perms::owner_read | fs::perms::owner_write, ec);
  std::printf("lagom cert: %s signed by the cluster CA; use --tls %s\n", name.c_str(),
              out.c_str());
  return 0;
}

} // namespace lagom::cli
