#include "actors/driver_frames.hpp"

#include <ctime>

#include "schemas/cluster.capnp.h"
#include "wire/convert.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

wire::frame release_frame(const std::vector<uint64_t>& ids) {
  return wire::build<schema::ContainerRelease>([&](schema::ContainerRelease::Builder b) {
    auto l = b.initContainerIds(static_cast<unsigned>(ids.size()));
    for (unsigned i = 0; i < ids.size(); ++i)
      l.set(i, ids[i]);
  });
}

status read_grant(const wire::frame& grant, std::vector<scheduling::container>& out) {
  return wire::read<schema::ContainerGrant>(grant, [&](schema::ContainerGrant::Reader r) {
    for (auto c : r.getContainers())
      out.push_back(wire::from_wire(c));
    return status::ok();
  });
}

std::string default_experiment_name(const std::string& stem, int attempt) {
  char buf[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  return stem + "-" + buf + (attempt > 0 ? "-" + std::to_string(attempt + 1) : "");
}

} // namespace lagom::actors
