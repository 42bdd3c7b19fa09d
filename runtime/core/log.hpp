// Logging: spdlog loggers tagged "node/actor", all writing to one stderr sink.
// Loggers are not put in spdlog's global registry: each actor owns its own.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace lagom::log {

/// A logger whose records read "[time] [level] [node/actor] message".
std::shared_ptr<spdlog::logger> make(const std::string& node, const std::string& actor);

/// Sets the level of every logger, made before or after
/// ("trace", "debug", "info", "warn", "error", "off"). False on an unknown name.
bool set_level(const std::string& level);

} // namespace lagom::log
