// feature_lookup: FeatureLookup -> storage::feature_store::lookup -> FeatureLookupResult.
#include "actors/feature_lookup.hpp"

#include <vector>

#include "actors/experiment_frames.hpp"
#include "actors/feature_frames.hpp"
#include "schemas/feature_store.capnp.h"
#include "storage/feature_store.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

status answer_lookup(const store_of_group& store, const wire::frame& request,
                     wire::frame* reply) {
  std::string group;
  std::vector<storage::key_value> keys;
  std::vector<std::string> columns;
  auto st = wire::read<schema::FeatureLookup>(request, [&](schema::FeatureLookup::Reader r) {
    group = frames::text(r.getGroup());
    for (auto k : r.getKeys())
      keys.push_back(frames::from_wire(k));
    for (auto c : r.getColumns())
      columns.push_back(frames::text(c));
    return status::ok();
  });
  storage::feature_frame rows;
  std::vector<bool> found;
  if (st)
    st = store(group).lookup(group, keys, columns, &rows, &found);
  if (!st)
    return st;
  *reply = wire::build<schema::FeatureLookupResult>([&](schema::FeatureLookupResult::Builder b) {
    frames::to_wire(b.initRows(), rows);
    auto fl = b.initFound(static_cast<unsigned>(found.size()));
    for (unsigned i = 0; i < found.size(); ++i)
      fl.set(i, found[i]);
  });
  return status::ok();
}

} // namespace lagom::actors
