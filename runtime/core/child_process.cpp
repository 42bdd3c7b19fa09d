#include "core/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lagom::proc {

status spawn_and_wait(const spawn_spec& spec, const std::function<void(pid_t)>& started,
                      int& wait_status) {
  if (spec.argv.empty())
    return status::error(errc::invalid_argument, "no program to run", "spawn");
  // Everything the child needs, built before fork.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && spec.env_set.count(kv.substr(0, eq)) > 0)
      continue;
    env_strings.push_back(std::move(kv));
  }
  for (auto& [k, v] : spec.env_set)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env_strings)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0)
    return status::error(errc::io_error, std::string("fork: ") + std::strerror(errno),
                         spec.argv[0]);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(126);
    // Signals blocked by the parent's threads must not stay blocked here.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  if (started)
    started(pid);
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR)
      return status::error(errc::io_error, std::string("waitpid: ") + std::strerror(errno),
                           spec.argv[0]);
  }
  return status::ok();
}

std::string describe_wait_status(int ws) {
  if (WIFEXITED(ws))
    return "exited with code " + std::to_string(WEXITSTATUS(ws));
  if (WIFSIGNALED(ws)) {
    int sig = WTERMSIG(ws);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (name ? name : "?") + ")";
  }
  return "ended with wait status " + std::to_string(ws);
}

bool exited_cleanly(int ws) {
  return WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
}

std::string self_executable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    return {};
  buf[n] = '\0';
  return buf;
}

} // namespace lagom::proc
