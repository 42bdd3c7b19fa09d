// Starting and reaping worker processes (a container under `lagom node` is a
// process of its own, as a YARN container is). Plain C++, POSIX.
//
// spawn_and_wait() runs on a thread dedicated to one child: it forks, and the
// child sets PR_SET_PDEATHSIG so it is killed if that thread (and so the node
// process) goes away, then execs. The thread then blocks in waitpid until
// the child exits. Between fork and exec the child calls only
// async-signal-safe functions; everything it needs is prepared before fork.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

#include "lagom/status.hpp"

namespace lagom::proc {

struct spawn_spec {
  std::vector<std::string> argv;               // argv[0] is the program path
  std::map<std::string, std::string> env_set;  // added to / replacing the environment
};

/// Forks and execs `spec`, calls `started(pid)` in the parent, waits for the
/// child and returns its raw wait status in `wait_status`. Fails with
/// io_error when fork or exec fails (an exec failure shows as exit code 127).
status spawn_and_wait(const spawn_spec& spec, const std::function<void(pid_t)>& started,
                      int& wait_status);

/// "exited with code 3", "killed by signal 9 (Killed)", ...
std::string describe_wait_status(int wait_status);

/// True when the child exited with code 0.
bool exited_cleanly(int wait_status);

/// The absolute path of the running executable (/proc/self/exe).
std::string self_executable();

} // namespace lagom::proc
