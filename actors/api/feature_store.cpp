// lagom::feature_store (runtime/include/lagom/feature_store.hpp): blocking
// requests of a scoped_actor to the feature_store_router. The router's handle
// comes with the embedded services, or is asked of the head once
// ((atoms::feature_store)) and kept in the cluster's impl.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include <caf/all.hpp>

#include "actors/api/cluster_impl.hpp"
#include "actors/feature_frames.hpp"
#include "plot/feature_plots.hpp"
#include "plot/png_writer.hpp"
#include "schemas/feature_store.capnp.h"
#include "storage/feature_import.hpp"
#include "storage/feature_source.hpp"
#include "storage/feature_upload.hpp"
#include "storage/posix_file.hpp"
#include "wire/atoms.hpp"
#include "wire/auth.hpp"
#include "wire/read.hpp"

namespace lagom {

namespace {

status ensure_router(cluster::impl& p) {
  if (p.services.feature_store)
    return status::ok();
  caf::scoped_actor self{*p.sys};
  status out;
  self->request(p.head, std::chrono::seconds(30), atoms::feature_store::value)
    .receive([&](caf::actor& router) { p.services.feature_store = router; },
             [&](caf::error& err) { out = wire::to_status(err); });
  return out;
}

template <class... Ts>
status ask(cluster::impl& p, std::chrono::milliseconds timeout, wire::frame& reply, Ts&&... xs) {
  if (auto st = ensure_router(p); !st)
    return st;
  caf::scoped_actor self{*p.sys};
  status out;
  self->request(p.services.feature_store, timeout, std::forward<Ts>(xs)...)
    .receive([&](wire::frame& f) { reply = std::move(f); },
             [&](caf::error& err) { out = wire::to_status(err); });
  return out;
}

// A request answered with unit (a part of a chunked write).
template <class... Ts>
status ask_unit(cluster::impl& p, std::chrono::milliseconds timeout, Ts&&... xs) {
  if (auto st = ensure_router(p); !st)
    return st;
  caf::scoped_actor self{*p.sys};
  status out;
  self->request(p.services.feature_store, timeout, std::forward<Ts>(xs)...)
    .receive([&]() {}, [&](caf::error& err) { out = wire::to_status(err); });
  return out;
}

// The head's online door (actors/online_door.hpp), asked once; null when the
// cluster is embedded or the head has none. An error when the head did not
// answer (asked again next time).
status online_door(cluster::impl& p, std::chrono::milliseconds timeout,
                   wire::socket_client** out) {
  *out = nullptr;
  if (p.embedded)
    return status::ok();
  std::lock_guard<std::mutex> lock(p.online_m);
  if (!p.online_known) {
    caf::scoped_actor self{*p.sys};
    status st;
    uint16_t port = 0;
    self->request(p.head, timeout, atoms::fs_online::value)
      .receive([&](uint16_t x) { port = x; }, [&](caf::error& err) { st = wire::to_status(err); });
    if (!st)
      return st;
    std::string host = p.address.substr(0, p.address.rfind(':'));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    if (port != 0)
      p.online = std::make_unique<wire::socket_client>(host, port, wire::cluster_token());
    p.online_known = true;
  }
  *out = p.online.get();
  return status::ok();
}

wire::frame group_request(const std::string& group, uint32_t version) {
  return wire::build<schema::FeatureGroupRequest>([&](schema::FeatureGroupRequest::Builder b) {
    b.setGroup(group);
    b.setVersion(version);
  });
}

status read_list(const wire::frame& f, std::vector<storage::version_info>* out) {
  return wire::read<schema::FeatureGroupList>(f, [&](schema::FeatureGroupList::Reader r) {
    out->clear();
    for (auto g : r.getGroups()) {
      out->emplace_back();
      if (auto st = actors::frames::from_wire(g, &out->back()); !st)
        return st;
    }
    return status::ok();
  });
}

status read_rows(const wire::frame& f, storage::feature_frame* out) {
  return wire::read<schema::FeatureRows>(f, [&](schema::FeatureRows::Reader r) {
    return actors::frames::from_wire(r, out);
  });
}

// The key of a new group: as asked, else what the source brought, else an
// added row index.
status choose_key(const featuregroup_options& o, const std::string& brought,
                  storage::feature_frame* rows, storage::feature_schema* s) {
  s->primary_key = o.primary_key;
  if (s->primary_key.empty() && !brought.empty())
    s->primary_key = {brought};
  if (s->primary_key.empty()) {
    if (rows->find(storage::row_index_name) == nullptr)
      if (auto st = storage::add_row_index(rows, storage::row_index_name); !st)
        return st;
    s->primary_key = {storage::row_index_name};
  }
  s->columns = rows->specs();
  s->event_time = o.event_time;
  return status::ok();
}

std::string plots_dir(const cluster::impl& p, const std::string& group, uint32_t version) {
  return p.data_dir + "/plots/featurestore/" + group + "/v" + std::to_string(version);
}

} // namespace

status feature_store::write(const std::string& name, storage::write_mode mode,
                            const storage::feature_schema* schema,
                            const storage::feature_frame& rows, const featuregroup_options& o,
                            storage::version_info* out) {
  // Large: parts first (staged by the shard), the last rows with the write.
  const uint64_t total = storage::frame_bytes(rows);
  const size_t n = rows.rows();
  size_t per = n;
  if (total > part_bytes && n > 1)
    per = std::max<size_t>(1, static_cast<size_t>(double(n) * double(part_bytes) / double(total)));
  uint64_t upload = 0;
  uint32_t parts = 0;
  if (per < n) {
    std::random_device rd;
    while (upload == 0)
      upload = (uint64_t(rd()) << 32) ^ rd();
    if (on_upload)
      on_upload(0, total);
    uint64_t sent = 0;
    for (size_t begin = 0; begin + per < n; begin += per, ++parts) {
      auto part = storage::slice_rows(rows, begin, begin + per);
      auto f = wire::build<schema::FeatureWritePart>([&](schema::FeatureWritePart::Builder b) {
        b.setGroup(name);
        b.setUpload(upload);
        b.setSeq(parts);
        actors::frames::to_wire(b.initRows(), part);
      });
      if (auto st = ask_unit(c_->internals(), timeout, atoms::fs_part::value, f); !st)
        return st;
      sent += storage::frame_bytes(part);
      if (on_upload)
        on_upload(sent, total);
    }
  }
  const size_t last_begin = static_cast<size_t>(parts) * per;
  auto f = wire::build<schema::FeatureWrite>([&](schema::FeatureWrite::Builder b) {
    b.setGroup(name);
    b.setMode(static_cast<uint8_t>(mode));
    if (schema != nullptr)
      actors::frames::to_wire(b.initSchema(), *schema);
    if (upload == 0)
      actors::frames::to_wire(b.initRows(), rows);
    else
      actors::frames::to_wire(b.initRows(), storage::slice_rows(rows, last_begin, n));
    b.setVersion(o.version);
    b.setDescription(o.description);
    b.setCorrelations(o.correlations);
    b.setUpload(upload);
    b.setParts(parts);
  });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_write::value, f); !st)
    return st;
  if (upload != 0 && on_upload)
    on_upload(total, total);
  storage::version_info v;
  auto st = wire::read<schema::FeatureVersion>(reply, [&](schema::FeatureVersion::Reader r) {
    return actors::frames::from_wire(r, &v);
  });
  if (st && out != nullptr)
    *out = std::move(v);
  return st;
}

status feature_store::create_featuregroup(const std::string& name, storage::feature_frame rows,
                                          const featuregroup_options& o,
                                          storage::version_info* out) {
  storage::feature_schema s;
  if (auto st = choose_key(o, "", &rows, &s); !st)
    return st;
  return write(name, storage::write_mode::create, &s, rows, o, out);
}

status feature_store::create_featuregroup(const std::string& name,
                                          const std::vector<double>& matrix, size_t rows,
                                          size_t cols, const featuregroup_options& o,
                                          storage::version_info* out) {
  if (matrix.size() != rows * cols)
    return status::error(errc::invalid_argument,
                         std::to_string(matrix.size()) + " values for " + std::to_string(rows) +
                           " x " + std::to_string(cols),
                         "matrix");
  storage::feature_frame f;
  if (auto st = storage::frame_from_matrix(matrix.data(), rows, cols, &f); !st)
    return st;
  storage::feature_schema s;
  if (auto st = choose_key(o, storage::row_index_name, &f, &s); !st)
    return st;
  return write(name, storage::write_mode::create, &s, f, o, out);
}

status feature_store::create_featuregroup_from(const std::string& name, const std::string& source,
                                               const featuregroup_options& o,
                                               storage::version_info* out) {
  storage::feature_frame f;
  std::string key;
  if (auto st = storage::load_feature_source(source, o.seed, &f, &key); !st)
    return st;
  storage::feature_schema s;
  if (auto st = choose_key(o, key, &f, &s); !st)
    return st;
  return write(name, storage::write_mode::create, &s, f, o, out);
}

status feature_store::insert(const std::string& name, storage::feature_frame rows,
                             storage::write_mode mode, storage::version_info* out) {
  if (mode == storage::write_mode::create)
    return status::error(errc::invalid_argument, "use create_featuregroup to create", "mode");
  return write(name, mode, nullptr, rows, {}, out);
}

status feature_store::insert_from(const std::string& name, const std::string& source,
                                  storage::write_mode mode, uint64_t seed,
                                  storage::version_info* out) {
  storage::feature_frame f;
  std::string key;
  if (auto st = storage::load_feature_source(source, seed, &f, &key); !st)
    return st;
  // A group keyed by the row index `index`: a source without it gets one, and
  // an append numbers its rows on from the newest version's (0, 1, ... would
  // collide with the stored keys); overwrite and upsert keep 0, 1, ...
  std::vector<storage::version_info> vs;
  if (auto st = versions(name, &vs); !st)
    return st;
  const auto& s = vs.back().schema;
  if (s.primary_key == std::vector<std::string>{storage::row_index_name}) {
    if (f.find(storage::row_index_name) == nullptr)
      if (auto st = storage::add_row_index(&f, storage::row_index_name); !st)
        return st;
    if (mode == storage::write_mode::append)
      for (auto& c : f.columns)
        if (c.spec.name == storage::row_index_name && c.spec.type == storage::feature_type::int64)
          for (auto& v : c.i64)
            v += static_cast<int64_t>(vs.back().rows);
  }
  return insert(name, std::move(f), mode, out);
}

status feature_store::list(std::vector<storage::version_info>* out) {
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_list::value, group_request("", 0));
      !st)
    return st;
  return read_list(reply, out);
}

status feature_store::versions(const std::string& name, std::vector<storage::version_info>* out) {
  if (name.empty())
    return status::error(errc::invalid_argument, "must not be empty", "feature group");
  wire::frame reply;
  if (auto st =
        ask(c_->internals(), timeout, reply, atoms::fs_list::value, group_request(name, 0));
      !st)
    return st;
  return read_list(reply, out);
}

status feature_store::read(const std::string& name, const storage::read_options& o,
                           storage::feature_frame* out) {
  auto f = wire::build<schema::FeatureRead>([&](schema::FeatureRead::Builder b) {
    b.setGroup(name);
    b.setVersion(o.version);
    auto cols = b.initColumns(static_cast<unsigned>(o.columns.size()));
    for (unsigned i = 0; i < o.columns.size(); ++i)
      cols.set(i, o.columns[i]);
    b.setOffset(o.offset);
    b.setLimit(o.limit);
    b.setHasAsOf(o.as_of_event_time.has_value());
    b.setAsOfEventTime(o.as_of_event_time.value_or(0));
  });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_read::value, f); !st)
    return st;
  return read_rows(reply, out);
}

status feature_store::get_featuregroup(const std::string& name, uint32_t version, uint64_t n,
                                       storage::feature_frame* out) {
  storage::read_options o;
  o.version = version;
  o.limit = n;
  return read(name, o, out);
}

status feature_store::statistics(const std::string& name, uint32_t version,
                                 storage::feature_statistics* out) {
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_stats::value,
                    group_request(name, version));
      !st)
    return st;
  return wire::read<schema::FeatureStatistics>(reply, [&](schema::FeatureStatistics::Reader r) {
    auto d = r.getRecord();
    return storage::decode_statistics(
      std::string_view(reinterpret_cast<const char*>(d.begin()), d.size()),
      name + " statistics", out);
  });
}

status feature_store::get_features(const storage::feature_query& q, storage::feature_frame* out) {
  auto f = wire::build<schema::FeatureQuery>([&](schema::FeatureQuery::Builder b) {
    actors::frames::to_wire(b, q);
  });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_query::value, f); !st)
    return st;
  return read_rows(reply, out);
}

status feature_store::get_feature_vectors(const std::string& group,
                                          const std::vector<storage::key_value>& keys,
                                          storage::feature_frame* out, std::vector<bool>* found) {
  auto f = wire::build<schema::FeatureLookup>([&](schema::FeatureLookup::Builder b) {
    b.setGroup(group);
    auto ks = b.initKeys(static_cast<unsigned>(keys.size()));
    for (unsigned i = 0; i < keys.size(); ++i)
      actors::frames::to_wire(ks[i], keys[i]);
  });
  wire::frame reply;
  wire::socket_client* door = nullptr;
  if (auto st = online_door(c_->internals(), timeout, &door); !st)
    return st;
  if (door != nullptr) {
    if (auto st = door->call(f, &reply, timeout); !st)
      return st;
  } else if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_lookup::value, f); !st) {
    return st;
  }
  return wire::read<schema::FeatureLookupResult>(reply, [&](auto r) {
    found->clear();
    for (bool b : r.getFound())
      found->push_back(b);
    return actors::frames::from_wire(r.getRows(), out);
  });
}

status feature_store::get_feature_vector(const std::string& group, const storage::key_value& key,
                                         storage::feature_frame* out, bool* found) {
  std::vector<bool> f;
  if (auto st = get_feature_vectors(group, {key}, out, &f); !st)
    return st;
  *found = !f.empty() && f[0];
  return status::ok();
}

status feature_store::drop(const std::string& name) {
  if (auto st = ensure_router(c_->internals()); !st)
    return st;
  auto& p = c_->internals();
  caf::scoped_actor self{*p.sys};
  status out;
  self->request(p.services.feature_store, timeout, atoms::fs_drop::value, group_request(name, 0))
    .receive([&]() {}, [&](caf::error& err) { out = wire::to_status(err); });
  return out;
}

status feature_store::visualize_correlations(const std::string& name, uint32_t version,
                                             std::string* path) {
  storage::feature_statistics s;
  if (auto st = statistics(name, version, &s); !st)
    return st;
  std::vector<storage::version_info> vs;
  if (auto st = versions(name, &vs); !st)
    return st;
  uint32_t v = version == 0 ? vs.back().version : version;
  if (s.corr_names.empty())
    return status::error(errc::invalid_argument,
                         "has no correlations (made without them, or no numeric features)", name);
  std::string dir = plots_dir(c_->internals(), name, v);
  if (auto st = storage::make_dirs(dir); !st)
    return st;
  *path = dir + "/correlations.png";
  return plot::write_png(
    plot::draw_heatmap(s.correlation(), s.corr_names,
                       name + " v" + std::to_string(v) + ": Pearson correlation"),
    *path);
}

status feature_store::visualize_distributions(const std::string& name, uint32_t version,
                                              std::vector<std::string>* paths, size_t max_plots) {
  storage::feature_statistics s;
  if (auto st = statistics(name, version, &s); !st)
    return st;
  std::vector<storage::version_info> vs;
  if (auto st = versions(name, &vs); !st)
    return st;
  uint32_t v = version == 0 ? vs.back().version : version;
  std::string dir = plots_dir(c_->internals(), name, v) + "/distributions";
  if (auto st = storage::make_dirs(dir); !st)
    return st;
  paths->clear();
  for (const auto& c : s.columns) {
    if (!c.numeric || paths->size() >= max_plots)
      continue;
    std::vector<uint64_t> counts(c.hist.begin(), c.hist.end());
    std::string p = dir + "/" + c.name + ".png";
    if (auto st = plot::write_png(plot::draw_histogram(counts, c.hist_lo, c.hist_hi,
                                                       name + "." + c.name),
                                  p);
        !st)
      return st;
    paths->push_back(p);
  }
  if (paths->empty())
    return status::error(errc::invalid_argument, "has no numeric features to plot", name);
  return status::ok();
}

namespace {

status read_dataset_info(const wire::frame& f, storage::training_dataset_info* out) {
  return wire::read<schema::TrainingDatasetInfo>(f, [&](schema::TrainingDatasetInfo::Reader r) {
    return actors::frames::from_wire(r, out);
  });
}

} // namespace

status feature_store::create_training_dataset(const storage::training_dataset_spec& spec,
                                              storage::training_dataset_info* out) {
  auto f = wire::build<schema::TrainingDatasetCreate>(
    [&](schema::TrainingDatasetCreate::Builder b) { actors::frames::to_wire(b, spec); });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_dataset::value, f); !st)
    return st;
  storage::training_dataset_info d;
  auto st = read_dataset_info(reply, &d);
  if (st && out != nullptr)
    *out = std::move(d);
  return st;
}

status feature_store::training_dataset(const std::string& name, uint32_t version,
                                       storage::training_dataset_info* out) {
  auto f = wire::build<schema::TrainingDatasetRequest>([&](auto b) {
    b.setName(name);
    b.setVersion(version);
  });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_tdinfo::value, f); !st)
    return st;
  return read_dataset_info(reply, out);
}

status feature_store::export_training_dataset(const std::string& name, uint32_t version,
                                              const std::string& split,
                                              storage::export_format format,
                                              const std::string& path,
                                              std::vector<std::string>* written) {
  auto f = wire::build<schema::TrainingDatasetRequest>([&](auto b) {
    b.setName(name);
    b.setVersion(version);
    b.setSplit(split);
    b.setFormat(static_cast<uint8_t>(format));
    b.setPath(path);
  });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_export::value, f); !st)
    return st;
  return wire::read<schema::ExportedFiles>(reply, [&](schema::ExportedFiles::Reader r) {
    written->clear();
    for (auto p : r.getPaths())
      written->push_back(p.cStr());
    return status::ok();
  });
}

status feature_store::read_training_rows(const std::string& name, uint32_t version,
                                         const std::string& split, uint64_t epoch, uint32_t rank,
                                         uint32_t world, uint64_t offset, uint64_t count,
                                         std::vector<float>* features,
                                         std::vector<double>* labels, uint64_t* total) {
  if (world == 0 || rank >= world)
    return status::error(errc::invalid_argument,
                         "rank " + std::to_string(rank) + " of " + std::to_string(world), "rank");
  auto f = wire::build<schema::TrainingDatasetRequest>([&](auto b) {
    b.setName(name);
    b.setVersion(version);
    b.setSplit(split);
    b.setEpoch(epoch);
    b.setRank(rank);
    b.setWorld(world);
    b.setOffset(offset);
    b.setCount(count);
  });
  wire::frame reply;
  if (auto st = ask(c_->internals(), timeout, reply, atoms::fs_tdread::value, f); !st)
    return st;
  return wire::read<schema::TrainingDatasetBatch>(reply, [&](schema::TrainingDatasetBatch::Reader r) {
    auto d = r.getFeatures();
    size_t n = r.getLabels().size();
    if (d.size() != n * r.getDim() * sizeof(float))
      return status::error(errc::malformed_frame,
                           std::to_string(d.size()) + " feature bytes for " + std::to_string(n) +
                             " rows of " + std::to_string(r.getDim()),
                           "TrainingDatasetBatch");
    features->resize(d.size() / sizeof(float));
    std::memcpy(features->data(), d.begin(), d.size());
    labels->clear();
    for (double v : r.getLabels())
      labels->push_back(v);
    *total = r.getTotal();
    return status::ok();
  });
}

} // namespace lagom
