// `lagom shell`: the interactive face of the script language. readline with
// history (DATA/shell_history) and tab completion of command and function
// names when stdin is a terminal; plain lines otherwise (so it can be piped).
// A bad line prints its error and the shell goes on; `quit` or EOF leave.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "cli/commands/cluster_flags.hpp"
#include "cli/interpreter.hpp"
#include "cli/script/parser.hpp"

namespace lagom::cli {

namespace {

std::vector<std::string> completion_words;

char* complete_next(const char* text, int state) {
  static size_t i;
  if (state == 0)
    i = 0;
  size_t n = std::strlen(text);
  while (i < completion_words.size()) {
    auto& w = completion_words[i++];
    if (w.compare(0, n, text) == 0)
      return strdup(w.c_str());
  }
  return nullptr;
}

char** complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;
  completion_words = start == 0 ? script::command_names()
                                : function_registry::from_linked().names();
  return rl_completion_matches(text, complete_next);
}

// One line from the terminal or stdin; false at end of input.
bool read_line(bool tty, const char* prompt, std::string& line) {
  if (!tty) {
    return static_cast<bool>(std::getline(std::cin, line));
  }
  char* raw = readline(prompt);
  if (raw == nullptr)
    return false;
  line = raw;
  if (!line.empty())
    add_history(raw);
  std::free(raw);
  return true;
}

} // namespace

int run_shell(const cluster_flags& f, const std::string& data_dir) {
  const bool tty = ::isatty(STDIN_FILENO) != 0;
  std::string history;
  if (tty) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    history = data_dir + "/shell_history";
    read_history(history.c_str());
    rl_attempted_completion_function = complete;
  }
  std::unique_ptr<cluster> c;
  if (auto st = open_cluster(f, c); !st) {
    std::cerr << "lagom shell: " << st.to_string() << "\n";
    return 1;
  }
  if (tty)
    std::cout << "lagom shell on " << (c->embedded() ? "an embedded cluster" : f.connect)
              << "; 'help' lists commands, 'quit' leaves\n";
  interpreter interp{*c, std::cout};
  std::string buffer, line;
  uint32_t line_no = 0, first_line = 1;
  int failures = 0;
  while (read_line(tty, buffer.empty() ? "lagom> " : "  ...> ", line)) {
    ++line_no;
    if (buffer.empty())
      first_line = line_no;
    buffer += line + "\n";
    if (script::is_incomplete(buffer))
      continue;
    std::vector<script::statement> statements;
    auto st = script::parse(buffer, "<shell>", statements, first_line);
    buffer.clear();
    if (!st) {
      std::cerr << st.to_string() << "\n";
      ++failures;
      continue;
    }
    bool quit = false;
    for (auto& s : statements) {
      script::command cmd;
      if (st = script::to_command(s, cmd); st)
        st = interp.execute(cmd, quit);
      if (!st) {
        std::cerr << "error: " << st.to_string() << "\n";
        ++failures;
      }
      if (quit)
        break;
    }
    if (quit)
      break;
  }
  if (tty)
    write_history(history.c_str());
  // Piped input is a script without file: its failures decide the exit code.
  return !tty && failures > 0 ? 1 : 0;
}

} // namespace lagom::cli
