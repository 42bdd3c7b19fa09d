#include "core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace lagom::log {

namespace {

std::shared_ptr<spdlog::sinks::sink> shared_sink() {
  static auto sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->set_pattern("[%H:%M:%S.%e] [%^%l%$] [%n] %v");
    s->set_level(spdlog::level::info);
    return s;
  }();
  return sink;
}

} // namespace

std::shared_ptr<spdlog::logger> make(const std::string& node, const std::string& actor) {
  auto lg = std::make_shared<spdlog::logger>(node + "/" + actor, shared_sink());
  lg->set_level(spdlog::level::trace); // the shared sink filters by level
  return lg;
}

bool set_level(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off")
    return false;
  shared_sink()->set_level(lvl);
  return true;
}

} // namespace lagom::log
