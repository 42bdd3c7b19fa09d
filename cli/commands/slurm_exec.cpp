#include "cli/commands/slurm_exec.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slurm/hostlist.hpp"
#include "slurm/slurm_env.hpp"

namespace lagom::cli {

status run_program(const std::vector<std::string>& argv, program_output& out,
                   std::chrono::milliseconds timeout) {
  out = {};
  int o[2], e[2], x[2];
  if (::pipe2(o, O_CLOEXEC) != 0 || ::pipe2(e, O_CLOEXEC) != 0 || ::pipe2(x, O_CLOEXEC) != 0)
    return status::error(errc::io_error, std::strerror(errno), "pipe");
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0)
    return status::error(errc::io_error, std::strerror(errno), "fork");
  if (pid == 0) {
    ::dup2(o[1], 1);
    ::dup2(e[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      ::dup2(devnull, 0);
    ::execvp(args[0], args.data());
    int err = errno;
    (void)!::write(x[1], &err, sizeof(err));
    ::_exit(127);
  }
  ::close(o[1]);
  ::close(e[1]);
  ::close(x[1]);
  int exec_errno = 0;
  bool exec_failed = ::read(x[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno);
  ::close(x[0]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR)
      break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? out.out : out.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  if (timed_out)
    ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  out.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (exec_failed)
    return status::error(errc::not_found, std::string("cannot run: ") + std::strerror(exec_errno),
                         argv[0]);
  if (timed_out)
    return status::error(errc::timeout,
                         "no answer within " + std::to_string(timeout.count()) + " ms", argv[0]);
  return status::ok();
}

status resolve_slurm_host(const std::string& name, std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &res) == 0) {
    ::freeaddrinfo(res);
    address = name;
    return status::ok();
  }
  program_output p;
  if (auto st = run_program({"scontrol", "show", "node", name}, p); !st)
    return status::error(st.code(),
                         "'" + name + "' does not resolve and scontrol failed: " + st.to_string(),
                         "slurm head host");
  if (p.code != 0)
    return status::error(errc::not_found,
                         "'" + name + "' does not resolve and `scontrol show node " + name +
                           "` exited " + std::to_string(p.code) + ": " + p.err,
                         "slurm head host");
  if (auto st = slurm::parse_node_addr(p.out, address); !st)
    return status::error(errc::not_found,
                         "'" + name + "' does not resolve and scontrol gave " + st.message(),
                         "slurm head host");
  return status::ok();
}

status slurm_head_address(std::string& address) {
  const char* list = std::getenv("SLURM_JOB_NODELIST");
  if (list == nullptr || *list == '\0')
    return status::error(errc::invalid_argument,
                         "not set: `slurm` as an address works inside a Slurm job only",
                         "SLURM_JOB_NODELIST");
  std::string first;
  if (auto st = slurm::first_host(list, first); !st)
    return status::error(errc::invalid_argument, "'" + std::string(list) + "': " + st.message(),
                         "SLURM_JOB_NODELIST");
  return resolve_slurm_host(first, address);
}

} // namespace lagom::cli
