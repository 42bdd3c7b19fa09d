// child_process: a program the tests start and watch, e.g. `lagom head`.
// stdout and stderr are merged into one pipe that the test reads; every wait
// is bounded and driven by what the child prints or by its exit, never by a
// fixed sleep. The child gets SIGKILL if the test process dies
// (PR_SET_PDEATHSIG) and when this object is destroyed while it still runs.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace lagom::test {

class child_process {
public:
  /// Starts argv[0] with the arguments; `input` is written to its stdin,
  /// which is then closed.
  static std::unique_ptr<child_process> start(const std::vector<std::string>& argv,
                                              const std::string& input = "");
  ~child_process();

  /// Reads output until `needle` appears (true) or `timeout` passes (false).
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout);

  /// Waits for the exit; its code (128+N for signal N), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  void signal(int sig);
  pid_t pid() const { return pid_; }
  const std::string& output() const { return out_; }

private:
  child_process() = default;
  bool pump(std::chrono::milliseconds wait); // reads what is there; false at EOF

  pid_t pid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  std::optional<int> exit_code_;
  std::string out_;
};

/// Runs a program to completion (bounded); returns exit code and output.
struct run_result {
  int code = -1;
  std::string output;
};
run_result run(const std::vector<std::string>& argv, const std::string& input = "",
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// The pids of the processes whose parent is `parent` (a node's workers).
std::vector<pid_t> children_of(pid_t parent);

/// A TCP port on 127.0.0.1 that nobody listens on and nobody else can take:
/// bound (port 0, read back) but never listened on, for as long as the
/// object lives, so a connection to it is refused.
class closed_port {
public:
  closed_port();
  ~closed_port();
  closed_port(const closed_port&) = delete;
  closed_port& operator=(const closed_port&) = delete;
  unsigned number() const { return port_; }

private:
  int fd_ = -1;
  unsigned port_ = 0;
};

/// A fresh temporary directory, removed by the destructor.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  const std::string& path() const { return path_; }
  /// Writes `text` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& text) const;

private:
  std::string path_;
};

} // namespace lagom::test
