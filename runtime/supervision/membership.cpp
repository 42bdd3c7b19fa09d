#include "supervision/membership.hpp"

namespace lagom::supervision {

membership::membership(uint32_t incarnation) : incarnation_(incarnation == 0 ? 1 : incarnation) {}

uint64_t membership::admit(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t epoch = (static_cast<uint64_t>(incarnation_) << 32) | next_++;
  epochs_[epoch] = entry{node, false, {}};
  return epoch;
}

void membership::fence(uint64_t epoch, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  auto i = epochs_.find(epoch);
  if (i == epochs_.end() || i->second.fenced)
    return;
  i->second.fenced = true;
  i->second.why = why;
}

bool membership::live(uint64_t epoch) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto i = epochs_.find(epoch);
  return i != epochs_.end() && !i->second.fenced;
}

bool membership::fenced(uint64_t epoch) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto i = epochs_.find(epoch);
  return i != epochs_.end() && i->second.fenced;
}

std::string membership::why_not_live(uint64_t epoch) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto i = epochs_.find(epoch);
  if (i == epochs_.end())
    return "epoch " + epoch_text(epoch) + " was not issued by this head (incarnation "
           + std::to_string(incarnation_) + "): a node of an earlier head";
  if (!i->second.fenced)
    return {};
  return "epoch " + epoch_text(epoch) + " of node '" + i->second.node
         + "' was fenced: " + i->second.why;
}

status membership::admit_write(uint64_t epoch, const std::string& door) const {
  if (epoch == 0)
    return status::ok();
  auto why = why_not_live(epoch);
  if (why.empty())
    return status::ok();
  return status::error(errc::fenced, "write refused: " + why, door);
}

size_t membership::fenced_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto& [e, x] : epochs_)
    n += x.fenced ? 1 : 0;
  return n;
}

std::string epoch_text(uint64_t epoch) {
  return std::to_string(epoch) + " (incarnation " + std::to_string(epoch >> 32) + ", #"
         + std::to_string(epoch & 0xffffffffu) + ")";
}

} // namespace lagom::supervision
