// feature_frames: see the header. Rows go as column chunks: encode_chunk on
// the way out, decode_chunk (which checks the chunk's own header) on the way in.
#include "actors/feature_frames.hpp"

#include <string>

#include "actors/experiment_frames.hpp"
#include "storage/feature_chunk.hpp"

namespace lagom::actors::frames {

namespace {

status spec_from_wire(const std::string& field, const std::string& name, uint8_t type,
                      uint32_t width, storage::feature_spec* out) {
  storage::feature_type t = static_cast<storage::feature_type>(type);
  if (type < 1 || type > 6)
    return status::error(errc::invalid_argument,
                         "unknown feature type number " + std::to_string(type), field + ".type");
  out->name = name;
  out->type = t;
  out->width = width;
  return status::ok();
}

} // namespace

void to_wire(schema::FeatureSchema::Builder b, const storage::feature_schema& s) {
  auto cols = b.initColumns(static_cast<unsigned>(s.columns.size()));
  for (unsigned i = 0; i < s.columns.size(); ++i) {
    cols[i].setName(s.columns[i].name);
    cols[i].setType(static_cast<uint8_t>(s.columns[i].type));
    cols[i].setWidth(s.columns[i].width);
  }
  auto pk = b.initPrimaryKey(static_cast<unsigned>(s.primary_key.size()));
  for (unsigned i = 0; i < s.primary_key.size(); ++i)
    pk.set(i, s.primary_key[i]);
  b.setEventTime(s.event_time);
}

status from_wire(schema::FeatureSchema::Reader r, storage::feature_schema* out) {
  storage::feature_schema s;
  unsigned i = 0;
  for (auto c : r.getColumns()) {
    storage::feature_spec spec;
    if (auto st = spec_from_wire("schema.columns[" + std::to_string(i++) + "]", text(c.getName()),
                                 c.getType(), c.getWidth(), &spec);
        !st)
      return st;
    s.columns.push_back(std::move(spec));
  }
  for (auto k : r.getPrimaryKey())
    s.primary_key.push_back(text(k));
  s.event_time = text(r.getEventTime());
  *out = std::move(s);
  return status::ok();
}

void to_wire(schema::FeatureRows::Builder b, const storage::feature_frame& f) {
  auto cols = b.initColumns(static_cast<unsigned>(f.columns.size()));
  for (unsigned i = 0; i < f.columns.size(); ++i) {
    const auto& c = f.columns[i];
    cols[i].setName(c.spec.name);
    cols[i].setType(static_cast<uint8_t>(c.spec.type));
    cols[i].setWidth(c.spec.width);
    std::string chunk = storage::encode_chunk(c, 0, c.rows());
    cols[i].setChunk(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(chunk.data()),
                                         chunk.size()));
  }
}

status from_wire(schema::FeatureRows::Reader r, storage::feature_frame* out) {
  storage::feature_frame f;
  unsigned i = 0;
  for (auto c : r.getColumns()) {
    std::string field = "rows.columns[" + std::to_string(i++) + "]";
    storage::feature_column col;
    if (auto st = spec_from_wire(field, text(c.getName()), c.getType(), c.getWidth(), &col.spec);
        !st)
      return st;
    auto d = c.getChunk();
    std::string_view bytes(reinterpret_cast<const char*>(d.begin()), d.size());
    if (auto st = storage::decode_chunk(bytes, &col); !st)
      return status::error(st.code(), st.message(), field + " '" + col.spec.name + "'");
    f.columns.push_back(std::move(col));
  }
  if (auto st = f.check_shape(); !st)
    return status::error(st.code(), st.message(), "rows." + st.where());
  *out = std::move(f);
  return status::ok();
}

void to_wire(schema::FeatureVersion::Builder b, const storage::version_info& v, uint32_t shard) {
  b.setGroup(v.group);
  b.setVersion(v.version);
  b.setMode(static_cast<uint8_t>(v.mode));
  b.setCreatedMs(v.created_ms);
  b.setRows(v.rows);
  b.setRowsWritten(v.rows_written);
  b.setDescription(v.description);
  to_wire(b.initSchema(), v.schema);
  b.setCorrelations(v.correlations);
  b.setShard(shard);
}

status from_wire(schema::FeatureVersion::Reader r, storage::version_info* out) {
  storage::version_info v;
  v.group = text(r.getGroup());
  v.version = r.getVersion();
  if (auto st = mode_from_wire(r.getMode(), &v.mode); !st)
    return st;
  v.created_ms = r.getCreatedMs();
  v.rows = r.getRows();
  v.rows_written = r.getRowsWritten();
  v.description = text(r.getDescription());
  if (auto st = from_wire(r.getSchema(), &v.schema); !st)
    return st;
  v.correlations = r.getCorrelations();
  *out = std::move(v);
  return status::ok();
}

void to_wire(schema::FeatureKey::Builder b, const storage::key_value& k) {
  auto parts = b.initParts(static_cast<unsigned>(k.size()));
  for (unsigned i = 0; i < k.size(); ++i) {
    if (const auto* n = std::get_if<int64_t>(&k[i]))
      parts[i].setInt(*n);
    else
      parts[i].setText(std::get<std::string>(k[i]));
  }
}

storage::key_value from_wire(schema::FeatureKey::Reader r) {
  storage::key_value k;
  for (auto p : r.getParts()) {
    if (p.isInt())
      k.emplace_back(p.getInt());
    else
      k.emplace_back(text(p.getText()));
  }
  return k;
}

void to_wire(schema::FeatureQuery::Builder b, const storage::feature_query& q) {
  auto fs = b.initFeatures(static_cast<unsigned>(q.features.size()));
  for (unsigned i = 0; i < q.features.size(); ++i)
    fs.set(i, q.features[i]);
  b.setJoin(static_cast<uint8_t>(q.join));
  b.setBase(q.base);
  auto vs = b.initVersions(static_cast<unsigned>(q.versions.size()));
  unsigned i = 0;
  for (const auto& [g, v] : q.versions) {
    vs[i].setGroup(g);
    vs[i++].setVersion(v);
  }
}

status from_wire(schema::FeatureQuery::Reader r, storage::feature_query* out) {
  storage::feature_query q;
  for (auto f : r.getFeatures())
    q.features.push_back(text(f));
  uint8_t j = r.getJoin();
  if (j != 1 && j != 2)
    return status::error(errc::invalid_argument,
                         "unknown join number " + std::to_string(j) + " (1 inner, 2 left)",
                         "join");
  q.join = static_cast<storage::join_kind>(j);
  q.base = text(r.getBase());
  for (auto v : r.getVersions())
    q.versions[text(v.getGroup())] = v.getVersion();
  *out = std::move(q);
  return status::ok();
}

void to_wire(schema::FeatureCatalog::Builder b, const storage::feature_catalog& c) {
  auto gs = b.initGroups(static_cast<unsigned>(c.size()));
  unsigned i = 0;
  for (const auto& [g, s] : c) {
    gs[i].setGroup(g);
    to_wire(gs[i++].initSchema(), s);
  }
}

status from_wire(schema::FeatureCatalog::Reader r, storage::feature_catalog* out) {
  storage::feature_catalog c;
  for (auto e : r.getGroups()) {
    storage::feature_schema s;
    if (auto st = from_wire(e.getSchema(), &s); !st)
      return st;
    c[text(e.getGroup())] = std::move(s);
  }
  *out = std::move(c);
  return status::ok();
}

status mode_from_wire(uint8_t v, storage::write_mode* out) {
  if (v < 1 || v > 4)
    return status::error(errc::invalid_argument,
                         "unknown write mode number " + std::to_string(v) +
                           " (1 create, 2 append, 3 overwrite, 4 upsert)",
                         "mode");
  *out = static_cast<storage::write_mode>(v);
  return status::ok();
}

namespace {

void splits_to_wire(capnp::List<schema::SplitSpec>::Builder l,
                    const std::vector<storage::split_spec>& v) {
  for (unsigned i = 0; i < v.size(); ++i) {
    l[i].setName(v[i].name);
    l[i].setFraction(v[i].fraction);
    l[i].setRows(v[i].rows);
    l[i].setChunks(v[i].chunks);
  }
}

std::vector<storage::split_spec> splits_from_wire(capnp::List<schema::SplitSpec>::Reader l) {
  std::vector<storage::split_spec> v;
  for (auto s : l)
    v.push_back({text(s.getName()), s.getFraction(), s.getRows(), s.getChunks()});
  return v;
}

} // namespace

void to_wire(schema::TrainingDatasetCreate::Builder b, const storage::training_dataset_spec& s) {
  b.setName(s.name);
  to_wire(b.initQuery(), s.query);
  b.setLabel(s.label);
  splits_to_wire(b.initSplits(static_cast<unsigned>(s.splits.size())), s.splits);
  b.setSeed(s.seed);
  b.setVersion(s.version);
  b.setDescription(s.description);
}

status from_wire(schema::TrainingDatasetCreate::Reader r, storage::training_dataset_spec* out) {
  storage::training_dataset_spec s;
  s.name = text(r.getName());
  if (auto st = from_wire(r.getQuery(), &s.query); !st)
    return status::error(st.code(), st.message(), "query." + st.where());
  s.label = text(r.getLabel());
  s.splits = splits_from_wire(r.getSplits());
  s.seed = r.getSeed();
  s.version = r.getVersion();
  s.description = text(r.getDescription());
  *out = std::move(s);
  return status::ok();
}

void to_wire(schema::TrainingDatasetInfo::Builder b, const storage::training_dataset_info& d) {
  b.setName(d.name);
  b.setVersion(d.version);
  b.setCreatedMs(d.created_ms);
  b.setSeed(d.seed);
  auto fs = b.initFeatures(static_cast<unsigned>(d.features.size()));
  for (unsigned i = 0; i < d.features.size(); ++i) {
    fs[i].setName(d.features[i].name);
    fs[i].setType(static_cast<uint8_t>(d.features[i].type));
    fs[i].setWidth(d.features[i].width);
  }
  b.setDim(d.dim);
  auto l = b.initLabel();
  l.setName(d.label.name);
  l.setType(static_cast<uint8_t>(d.label.type));
  l.setWidth(d.label.width);
  splits_to_wire(b.initSplits(static_cast<unsigned>(d.splits.size())), d.splits);
  auto gs = b.initGroups(static_cast<unsigned>(d.groups.size()));
  unsigned i = 0;
  for (const auto& [g, v] : d.groups) {
    gs[i].setGroup(g);
    gs[i++].setVersion(v);
  }
}

status from_wire(schema::TrainingDatasetInfo::Reader r, storage::training_dataset_info* out) {
  storage::training_dataset_info d;
  d.name = text(r.getName());
  d.version = r.getVersion();
  d.created_ms = r.getCreatedMs();
  d.seed = r.getSeed();
  unsigned i = 0;
  for (auto f : r.getFeatures()) {
    storage::feature_spec s;
    if (auto st = spec_from_wire("features[" + std::to_string(i++) + "]", text(f.getName()),
                                 f.getType(), f.getWidth(), &s);
        !st)
      return st;
    d.features.push_back(std::move(s));
  }
  d.dim = r.getDim();
  if (auto st = spec_from_wire("label", text(r.getLabel().getName()), r.getLabel().getType(),
                               r.getLabel().getWidth(), &d.label);
      !st)
    return st;
  d.splits = splits_from_wire(r.getSplits());
  for (auto g : r.getGroups())
    d.groups[text(g.getGroup())] = g.getVersion();
  *out = std::move(d);
  return status::ok();
}

} // namespace lagom::actors::frames
