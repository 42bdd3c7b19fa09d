// `lagom run FILE [NAME=VALUE ...]`: a .lagom script, its parameters set. The whole file is parsed and every line
// validated before the cluster starts, so a bad line costs nothing and is
// reported as FILE:LINE:COL with exit code 2. A command that fails at run
// time stops the script with FILE:LINE and exit code 1.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands/cluster_flags.hpp"
#include "cli/interpreter.hpp"
#include "cli/script/parser.hpp"
#include "cli/script/script_params.hpp"

namespace lagom::cli {

namespace {

std::string location_of(const script::command& cmd) {
  return std::visit([](auto& c) { return c.loc.to_string(); }, cmd);
}

} // namespace

int run_script(const std::string& path, const cluster_flags& f,
               const std::vector<std::string>& params) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "lagom run: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<script::statement> statements;
  if (auto st = script::parse(text.str(), path, statements); !st) {
    std::cerr << "lagom run: " << st.to_string() << "\n";
    return 2;
  }
  // `param NAME=VALUE` lines and `$NAME`, with the command line's NAME=VALUE.
  if (auto st = script::expand_params(statements, params); !st) {
    std::cerr << "lagom run: " << st.to_string() << "\n";
    return 2;
  }
  std::vector<script::command> commands;
  for (auto& s : statements) {
    script::command cmd;
    if (auto st = script::to_command(s, cmd); !st) {
      std::cerr << "lagom run: " << st.to_string() << "\n";
      return 2;
    }
    commands.push_back(std::move(cmd));
  }
  std::unique_ptr<cluster> c;
  if (auto st = open_cluster(f, c); !st) {
    std::cerr << "lagom run: " << st.to_string() << "\n";
    return 1;
  }
  interpreter interp{*c, std::cout};
  for (auto& cmd : commands) {
    bool quit = false;
    if (auto st = interp.execute(cmd, quit); !st) {
      std::cerr << "lagom run: " << location_of(cmd) << ": " << st.to_string() << "\n";
      return 1;
    }
    if (quit)
      break;
  }
  return 0;
}

} // namespace lagom::cli
