// feature_store_shard: frames in, one storage::feature_store call, frames out.
#include "actors/feature_store_shard.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/experiment_frames.hpp"
#include "actors/feature_frames.hpp"
#include "actors/feature_lookup.hpp"
#include "core/log.hpp"
#include "schemas/feature_store.capnp.h"
#include "storage/dataset_export.hpp"
#include "storage/feature_query.hpp"
#include "storage/feature_store.hpp"
#include "storage/feature_upload.hpp"
#include "storage/posix_file.hpp"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

// An open split of a dataset version, and the rows of the last epoch asked.
struct open_split {
  storage::training_dataset_reader reader;
  uint64_t epoch = ~uint64_t{0};
  uint32_t rank = 0, world = 0;
  std::vector<uint64_t> rows;
};

struct shard_state {
  std::shared_ptr<spdlog::logger> log;
  uint32_t shard = 0;
  // Shared with the head's online door (actors/online_door.hpp), which
  // only calls lookup() on it from its own threads.
  std::shared_ptr<storage::feature_store> fs;
  // Dataset versions never change: readers are kept (name/version/split).
  std::map<std::string, open_split> splits;
  // Chunked writes' parts until their last frame (storage/feature_upload.hpp).
  storage::upload_stage uploads;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

using self_ptr = caf::stateful_actor<shard_state>*;

wire::frame rows_frame(const storage::feature_frame& f) {
  return wire::build<schema::FeatureRows>([&](schema::FeatureRows::Builder b) {
    frames::to_wire(b, f);
  });
}

// A part of a chunked write: staged, nothing stored.
caf::result<void> on_part(self_ptr self, const wire::frame& f) {
  std::string group;
  uint64_t upload = 0;
  uint32_t seq = 0;
  storage::feature_frame rows;
  auto rd = wire::read<schema::FeatureWritePart>(f, [&](schema::FeatureWritePart::Reader r) {
    group = frames::text(r.getGroup());
    upload = r.getUpload();
    seq = r.getSeq();
    return frames::from_wire(r.getRows(), &rows);
  });
  if (rd)
    rd = self->state.uploads.add(upload, group, seq, std::move(rows), f.size_bytes(), now_ms());
  if (!rd)
    return wire::to_error(rd);
  return caf::unit;
}

caf::result<wire::frame> on_write(self_ptr self, const wire::frame& f) {
  std::string group;
  storage::write_mode mode{};
  storage::feature_schema schema;
  storage::feature_frame rows;
  storage::write_options wo;
  uint64_t upload = 0;
  uint32_t parts = 0;
  auto rd = wire::read<schema::FeatureWrite>(f, [&](schema::FeatureWrite::Reader r) {
    upload = r.getUpload();
    parts = r.getParts();
    group = frames::text(r.getGroup());
    wo.version = r.getVersion();
    wo.description = frames::text(r.getDescription());
    wo.correlations = r.getCorrelations();
    if (auto st = frames::mode_from_wire(r.getMode(), &mode); !st)
      return st;
    if (mode == storage::write_mode::create)
      if (auto st = frames::from_wire(r.getSchema(), &schema); !st)
        return st;
    return frames::from_wire(r.getRows(), &rows);
  });
  if (rd && upload != 0) { // the last frame of a chunked write: every part, then these rows
    storage::feature_frame last = std::move(rows);
    rd = self->state.uploads.take(upload, group, parts, std::move(last), &rows);
  }
  storage::version_info v;
  if (rd)
    rd = mode == storage::write_mode::create
           ? self->state.fs->create(group, schema, rows, wo, &v)
           : self->state.fs->write(group, mode, rows, wo, &v);
  if (!rd)
    return wire::to_error(rd);
  self->state.log->info("{} v{}: {} of {} rows ({} in all)", v.group, v.version,
                        storage::to_string(v.mode), v.rows_written, v.rows);
  uint32_t shard = self->state.shard;
  return wire::build<schema::FeatureVersion>([&](schema::FeatureVersion::Builder b) {
    frames::to_wire(b, v, shard);
  });
}

caf::result<wire::frame> on_read(self_ptr self, const wire::frame& f) {
  std::string group;
  storage::read_options ro;
  auto rd = wire::read<schema::FeatureRead>(f, [&](schema::FeatureRead::Reader r) {
    group = frames::text(r.getGroup());
    ro.version = r.getVersion();
    for (auto c : r.getColumns())
      ro.columns.push_back(frames::text(c));
    ro.offset = r.getOffset();
    ro.limit = r.getLimit();
    if (r.getHasAsOf())
      ro.as_of_event_time = r.getAsOfEventTime();
    return status::ok();
  });
  storage::feature_frame rows;
  if (rd)
    rd = self->state.fs->read(group, ro, &rows);
  if (!rd)
    return wire::to_error(rd);
  return rows_frame(rows);
}

caf::result<wire::frame> on_lookup(self_ptr self, const wire::frame& f) {
  wire::frame reply;
  const auto& fs = *self->state.fs;
  auto own = [&fs](const std::string&) -> const storage::feature_store& { return fs; };
  if (auto st = answer_lookup(own, f, &reply); !st)
    return wire::to_error(st);
  return reply;
}

status read_group_request(const wire::frame& f, std::string* group, uint32_t* version) {
  return wire::read<schema::FeatureGroupRequest>(f, [&](schema::FeatureGroupRequest::Reader r) {
    *group = frames::text(r.getGroup());
    *version = r.getVersion();
    return status::ok();
  });
}

caf::result<wire::frame> on_list(self_ptr self, const wire::frame& f) {
  std::string group;
  uint32_t version = 0;
  auto rd = read_group_request(f, &group, &version);
  auto& fs = *self->state.fs;
  std::vector<storage::version_info> out;
  if (rd && !group.empty()) {
    rd = fs.versions(group, &out);
  } else if (rd) {
    std::vector<std::string> names;
    rd = fs.groups(&names);
    for (size_t i = 0; rd && i < names.size(); ++i) {
      out.emplace_back();
      rd = fs.describe(names[i], 0, &out.back());
    }
  }
  if (!rd)
    return wire::to_error(rd);
  uint32_t shard = self->state.shard;
  return wire::build<schema::FeatureGroupList>([&](schema::FeatureGroupList::Builder b) {
    auto gs = b.initGroups(static_cast<unsigned>(out.size()));
    for (unsigned i = 0; i < out.size(); ++i)
      frames::to_wire(gs[i], out[i], shard);
  });
}

caf::result<wire::frame> on_stats(self_ptr self, const wire::frame& f) {
  std::string group;
  uint32_t version = 0;
  auto rd = read_group_request(f, &group, &version);
  storage::version_info v;
  storage::feature_statistics s;
  if (rd)
    rd = self->state.fs->describe(group, version, &v);
  if (rd)
    rd = self->state.fs->statistics(group, v.version, &s);
  if (!rd)
    return wire::to_error(rd);
  std::string bytes = storage::encode_statistics(s);
  return wire::build<schema::FeatureStatistics>([&](schema::FeatureStatistics::Builder b) {
    b.setGroup(group);
    b.setVersion(v.version);
    b.setRecord(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(bytes.data()),
                                    bytes.size()));
  });
}

caf::result<caf::unit_t> on_drop(self_ptr self, const wire::frame& f) {
  std::string group;
  uint32_t version = 0;
  auto rd = read_group_request(f, &group, &version);
  if (rd)
    rd = self->state.fs->drop(group);
  if (!rd)
    return wire::to_error(rd);
  self->state.log->info("{} dropped", group);
  return caf::unit;
}

status read_query(const wire::frame& f, storage::feature_query* q) {
  return wire::read<schema::FeatureQuery>(f, [&](schema::FeatureQuery::Reader r) {
    return frames::from_wire(r, q);
  });
}

caf::result<wire::frame> on_catalog(self_ptr self, const wire::frame& f) {
  storage::feature_query q;
  storage::feature_catalog cat;
  auto rd = read_query(f, &q);
  if (rd) {
    // Only the versions of groups this shard holds: the others are elsewhere.
    std::vector<std::string> names;
    rd = self->state.fs->groups(&names);
    std::map<std::string, uint32_t> mine;
    for (const auto& n : names)
      if (auto it = q.versions.find(n); it != q.versions.end())
        mine[n] = it->second;
    q.versions = std::move(mine);
  }
  if (rd)
    rd = storage::feature_catalog_of(*self->state.fs, q, &cat);
  if (!rd)
    return wire::to_error(rd);
  return wire::build<schema::FeatureCatalog>([&](schema::FeatureCatalog::Builder b) {
    frames::to_wire(b, cat);
  });
}

caf::result<wire::frame> on_query(self_ptr self, const wire::frame& f) {
  storage::feature_query q;
  storage::feature_frame rows;
  auto rd = read_query(f, &q);
  if (rd)
    rd = storage::get_features(*self->state.fs, q, &rows);
  if (!rd)
    return wire::to_error(rd);
  return rows_frame(rows);
}

caf::result<wire::frame> dataset_reply(const storage::training_dataset_info& d) {
  return wire::build<schema::TrainingDatasetInfo>([&](schema::TrainingDatasetInfo::Builder b) {
    frames::to_wire(b, d);
  });
}

// TrainingDatasetCreate: the query over this shard's groups; TrainingDatasetRows:
// a query the router ran, to store.
caf::result<wire::frame> on_dataset(self_ptr self, const wire::frame& f) {
  storage::training_dataset_info d;
  storage::training_dataset_spec spec;
  status st;
  if (f.schema() == wire::schema_id<schema::TrainingDatasetRows>()) {
    std::vector<storage::resolved_feature> resolved;
    std::map<std::string, uint32_t> groups;
    storage::feature_frame rows;
    st = wire::read<schema::TrainingDatasetRows>(f, [&](schema::TrainingDatasetRows::Reader r) {
      for (auto x : r.getResolved())
        resolved.push_back({frames::text(x.getGroup()), frames::text(x.getFeature()),
                            x.getIsKey()});
      for (auto g : r.getGroups())
        groups[frames::text(g.getGroup())] = g.getVersion();
      if (auto s2 = frames::from_wire(r.getCreate(), &spec); !s2)
        return s2;
      return frames::from_wire(r.getRows(), &rows);
    });
    if (st)
      st = storage::create_training_dataset_from_rows(*self->state.fs, spec, resolved, groups,
                                                      rows, &d);
  } else {
    st = wire::read<schema::TrainingDatasetCreate>(f, [&](auto r) {
      return frames::from_wire(r, &spec);
    });
    if (st)
      st = storage::create_training_dataset(*self->state.fs, spec, &d);
  }
  if (!st)
    return wire::to_error(st);
  self->state.log->info("training dataset {} v{}: {} features", d.name, d.version, d.dim);
  return dataset_reply(d);
}

template <class F>
status read_dataset_request(const wire::frame& f, F fn) {
  return wire::read<schema::TrainingDatasetRequest>(f, [&](auto r) {
    fn(r);
    return status::ok();
  });
}

caf::result<wire::frame> on_tdinfo(self_ptr self, const wire::frame& f) {
  std::string name;
  uint32_t version = 0;
  auto st = read_dataset_request(f, [&](schema::TrainingDatasetRequest::Reader r) {
    name = frames::text(r.getName());
    version = r.getVersion();
  });
  storage::training_dataset_info d;
  if (st)
    st = storage::describe_training_dataset(*self->state.fs, name, version, &d);
  if (!st)
    return wire::to_error(st);
  return dataset_reply(d);
}

caf::result<wire::frame> on_tdread(self_ptr self, const wire::frame& f) {
  std::string name, split;
  uint32_t version = 0, rank = 0, world = 0;
  uint64_t epoch = 0, offset = 0, count = 0;
  std::vector<uint64_t> rows;
  auto st = read_dataset_request(f, [&](schema::TrainingDatasetRequest::Reader r) {
    name = frames::text(r.getName());
    split = frames::text(r.getSplit());
    version = r.getVersion();
    for (auto x : r.getRows())
      rows.push_back(x);
    epoch = r.getEpoch();
    rank = r.getRank();
    world = r.getWorld();
    offset = r.getOffset();
    count = r.getCount();
  });
  if (!st)
    return wire::to_error(st);
  if (rows.empty() && world > 0 && rank >= world)
    return wire::to_error(status::error(errc::invalid_argument,
                                        "rank " + std::to_string(rank) + " of " +
                                          std::to_string(world),
                                        "rank"));
  std::string key = name + "/" + std::to_string(version) + "/" + split;
  auto& cache = self->state.splits;
  auto it = cache.find(key);
  if (it == cache.end() || version == 0) {
    open_split o;
    if (auto s2 = storage::training_dataset_reader::open(*self->state.fs, name, version, split,
                                                         &o.reader);
        !s2)
      return wire::to_error(s2);
    key = name + "/" + std::to_string(o.reader.info().version) + "/" + split;
    it = cache.find(key);
    if (it == cache.end())
      it = cache.emplace(key, std::move(o)).first;
  }
  auto& o = it->second;
  // A reply stays well under the 64 MiB frame cap (wire/limits.hpp).
  count = std::min<uint64_t>(count, (uint64_t{32} << 20) / (uint64_t{o.reader.dim()} * 4 + 16));
  uint64_t total = rows.size();
  if (rows.empty() && world > 0) {
    if (o.epoch != epoch || o.rank != rank || o.world != world) {
      o.rows = o.reader.epoch_rows(epoch, rank, world);
      o.epoch = epoch;
      o.rank = rank;
      o.world = world;
    }
    total = o.rows.size();
    uint64_t b = std::min<uint64_t>(offset, total), e = std::min<uint64_t>(total, b + count);
    rows.assign(o.rows.begin() + static_cast<long>(b), o.rows.begin() + static_cast<long>(e));
  } else if (rows.empty()) { // stored order
    total = o.reader.rows();
    for (uint64_t r = offset; r < total && r - offset < count; ++r)
      rows.push_back(r);
  }
  std::vector<float> features;
  std::vector<double> labels;
  if (auto s2 = o.reader.read_rows(rows, &features, &labels); !s2)
    return wire::to_error(s2);
  uint32_t dim = o.reader.dim();
  return wire::build<schema::TrainingDatasetBatch>([&](schema::TrainingDatasetBatch::Builder b) {
    b.setFeatures(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(features.data()),
                                      features.size() * sizeof(float)));
    auto l = b.initLabels(static_cast<unsigned>(labels.size()));
    for (unsigned i = 0; i < labels.size(); ++i)
      l.set(i, labels[i]);
    b.setDim(dim);
    b.setTotal(total);
    auto ids = b.initRows(static_cast<unsigned>(rows.size()));
    for (unsigned i = 0; i < rows.size(); ++i)
      ids.set(i, rows[i]);
  });
}

caf::result<wire::frame> on_export(self_ptr self, const wire::frame& f) {
  std::string name, split, path;
  uint32_t version = 0;
  uint8_t format = 0;
  auto st = read_dataset_request(f, [&](schema::TrainingDatasetRequest::Reader r) {
    name = frames::text(r.getName());
    split = frames::text(r.getSplit());
    path = frames::text(r.getPath());
    version = r.getVersion();
    format = r.getFormat();
  });
  if (split.empty())
    split = "train";
  if (st && (format < 1 || format > 3))
    st = status::error(errc::invalid_argument,
                       "unknown export format number " + std::to_string(format) +
                         " (1 csv, 2 npy, 3 tfrecord)",
                       "format");
  // No path: DATA/exports/NAME/vV/SPLIT(.csv, .tfrecord; a stem for npy).
  if (st && path.empty()) {
    storage::training_dataset_info d;
    st = storage::describe_training_dataset(*self->state.fs, name, version, &d);
    std::string data = self->state.fs->dir();
    for (int up = 0; up < 2 && data.find('/') != std::string::npos; ++up)
      data = data.substr(0, data.rfind('/'));
    std::string dir = data + "/exports/" + name + "/v" + std::to_string(d.version);
    if (st)
      st = storage::make_dirs(dir);
    path = dir + "/" + (split.empty() ? "train" : split) +
           (format == 1 ? ".csv" : format == 3 ? ".tfrecord" : "");
  }
  std::vector<std::string> written;
  if (st)
    st = storage::export_training_dataset(*self->state.fs, name, version, split,
                                          static_cast<storage::export_format>(format), path,
                                          &written);
  if (!st)
    return wire::to_error(st);
  return wire::build<schema::ExportedFiles>([&](schema::ExportedFiles::Builder b) {
    auto l = b.initPaths(static_cast<unsigned>(written.size()));
    for (unsigned i = 0; i < written.size(); ++i)
      l.set(i, written[i]);
  });
}

caf::behavior feature_store_shard(self_ptr self, std::shared_ptr<storage::feature_store> fs,
                                  uint32_t shard) {
  self->state.log = log::make("head", "feature_store_shard");
  self->state.shard = shard;
  self->state.fs = std::move(fs);
  self->delayed_send(self, std::chrono::seconds(5), atoms::tick::value);
  return {
    [=](atoms::fs_write, const wire::frame& f) { return on_write(self, f); },
    [=](atoms::fs_part, const wire::frame& f) { return on_part(self, f); },
    [=](atoms::tick) {
      if (auto n = self->state.uploads.expire(now_ms()); n > 0)
        self->state.log->warn("dropped {} chunked write(s) idle for over a minute (their "
                              "clients stopped mid-upload): nothing of them was stored", n);
      self->delayed_send(self, std::chrono::seconds(5), atoms::tick::value);
    },
    [=](atoms::fs_read, const wire::frame& f) { return on_read(self, f); },
    [=](atoms::fs_lookup, const wire::frame& f) { return on_lookup(self, f); },
    [=](atoms::fs_list, const wire::frame& f) { return on_list(self, f); },
    [=](atoms::fs_stats, const wire::frame& f) { return on_stats(self, f); },
    [=](atoms::fs_drop, const wire::frame& f) { return on_drop(self, f); },
    [=](atoms::fs_catalog, const wire::frame& f) { return on_catalog(self, f); },
    [=](atoms::fs_query, const wire::frame& f) { return on_query(self, f); },
    [=](atoms::fs_dataset, const wire::frame& f) { return on_dataset(self, f); },
    [=](atoms::fs_tdinfo, const wire::frame& f) { return on_tdinfo(self, f); },
    [=](atoms::fs_tdread, const wire::frame& f) { return on_tdread(self, f); },
    [=](atoms::fs_export, const wire::frame& f) { return on_export(self, f); },
  };
}

} // namespace

status spawn_feature_store_shard(caf::actor_system& sys, const std::string& dir, uint32_t shard,
                                 caf::actor& out, std::shared_ptr<storage::feature_store>* store) {
  if (dir.empty())
    return status::error(errc::invalid_argument, "must not be empty", "feature store shard");
  if (auto st = storage::make_dirs(dir); !st)
    return st;
  auto fs = std::make_shared<storage::feature_store>();
  if (auto st = storage::feature_store::open(dir, {}, fs.get()); !st)
    return st;
  if (store != nullptr)
    *store = fs;
  out = sys.spawn<caf::detached>(feature_store_shard, std::move(fs), shard);
  return status::ok();
}

} // namespace lagom::actors
