// dataset_reads: TrainingDatasetRequest out, TrainingDatasetInfo and
// TrainingDatasetBatch in, for a train function's data=fs: reads.
#include "actors/dataset_reads.hpp"

#include <cstring>

#include "actors/feature_frames.hpp"
#include "schemas/feature_store.capnp.h"
#include "wire/read.hpp"

namespace lagom::actors {

wire::frame dataset_info_request(const std::string& name, uint32_t version) {
  return wire::build<schema::TrainingDatasetRequest>(
    [&](schema::TrainingDatasetRequest::Builder b) {
      b.setName(name);
      b.setVersion(version);
    });
}

status read_dataset_shape(const std::string& name, const wire::frame& f,
                          training_dataset_shape* out) {
  storage::training_dataset_info d;
  auto st = wire::read<schema::TrainingDatasetInfo>(f, [&](schema::TrainingDatasetInfo::Reader r) {
    return frames::from_wire(r, &d);
  });
  if (!st)
    return status::error(st.code(), st.message(), "data=fs:" + name + " (" + st.where() + ")");
  training_dataset_shape s;
  s.version = d.version;
  s.created_ms = d.created_ms;
  s.dim = d.dim;
  s.integer_labels = d.label.type == storage::feature_type::int64;
  for (const auto& sp : d.splits)
    s.splits.emplace_back(sp.name, sp.rows);
  *out = std::move(s);
  return status::ok();
}

wire::frame dataset_rows_request(const training_rows_request& req) {
  return wire::build<schema::TrainingDatasetRequest>(
    [&](schema::TrainingDatasetRequest::Builder b) {
      b.setName(req.name);
      b.setVersion(req.version);
      b.setSplit(req.split);
      b.setEpoch(req.epoch);
      b.setRank(req.rank);
      b.setWorld(req.world);
      b.setOffset(req.offset);
      b.setCount(req.count);
    });
}

status read_dataset_rows(const std::string& name, const wire::frame& f, training_rows* out) {
  return wire::read<schema::TrainingDatasetBatch>(
    f, [&](schema::TrainingDatasetBatch::Reader r) {
      auto data = r.getFeatures();
      auto labels = r.getLabels();
      auto ids = r.getRows();
      const size_t n = labels.size();
      if (ids.size() != n || data.size() != n * size_t{r.getDim()} * sizeof(float))
        return status::error(errc::malformed_frame,
                             std::to_string(data.size()) + " feature bytes, " +
                               std::to_string(n) + " labels and " + std::to_string(ids.size()) +
                               " row numbers for rows of " + std::to_string(r.getDim()) +
                               " values (data=fs:" + name + ")",
                             "TrainingDatasetBatch");
      training_rows t;
      t.dim = r.getDim();
      t.total = r.getTotal();
      t.features.resize(n * size_t{t.dim});
      if (!t.features.empty())
        std::memcpy(t.features.data(), data.begin(), data.size());
      t.labels.reserve(n);
      for (double v : labels)
        t.labels.push_back(v);
      t.ids.reserve(n);
      for (uint64_t v : ids)
        t.ids.push_back(v);
      *out = std::move(t);
      return status::ok();
    });
}

} // namespace lagom::actors
