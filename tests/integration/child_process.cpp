#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lagom::test {

using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

std::unique_ptr<child_process> child_process::start(const std::vector<std::string>& argv,
                                                    const std::string& input) {
  int out[2], in[2];
  if (::pipe(out) != 0 || ::pipe(in) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    for (int fd : {out[0], out[1], in[0], in[1]})
      ::close(fd);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(in[0]);
  if (!input.empty()) {
    ssize_t ignored = ::write(in[1], input.data(), input.size());
    (void) ignored;
  }
  ::close(in[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::unique_ptr<child_process> p{new child_process};
  p->pid_ = pid;
  p->fd_ = out[0];
  return p;
}

child_process::~child_process() {
  if (!exit_code_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (fd_ >= 0)
    ::close(fd_);
}

bool child_process::pump(milliseconds wait) {
  if (eof_)
    return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0)
    return true;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n > 0) {
      out_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0)
      eof_ = true;
    return !eof_;
  }
}

bool child_process::wait_for(const std::string& needle, milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  while (out_.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    if (left.count() <= 0 || !pump(std::min(left, milliseconds(100))))
      return out_.find(needle) != std::string::npos;
  }
  return true;
}

std::optional<int> child_process::wait_exit(milliseconds timeout) {
  auto deadline = steady::now() + timeout;
  while (!exit_code_) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady::now());
    if (left.count() <= 0)
      return std::nullopt;
    // Output wakes us; after EOF the child is exiting: poll its status.
    if (!pump(std::min(left, milliseconds(50))))
      ::poll(nullptr, 0, 5);
  }
  while (pump(milliseconds(0))) {
  }
  return exit_code_;
}

void child_process::signal(int sig) {
  if (!exit_code_)
    ::kill(pid_, sig);
}

run_result run(const std::vector<std::string>& argv, const std::string& input,
               milliseconds timeout) {
  auto p = child_process::start(argv, input);
  run_result r;
  auto code = p->wait_exit(timeout);
  r.code = code ? *code : -1;
  r.output = p->output();
  return r;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (auto& e : std::filesystem::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')'); // the command name may hold spaces
    if (close == std::string::npos || close + 2 > line.size())
      continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent)
      out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

closed_port::closed_port() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0)
    throw std::runtime_error("closed_port: socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0
      || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd_);
    throw std::runtime_error("closed_port: bind to 127.0.0.1:0 failed");
  }
  port_ = ntohs(a.sin_port);
}

closed_port::~closed_port() {
  ::close(fd_);
}

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/lagom-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::write(const std::string& name, const std::string& text) const {
  std::string p = path_ + "/" + name;
  std::ofstream(p) << text;
  return p;
}

} // namespace lagom::test
