// storage/feature_upload: staged parts of chunked writes, joined at commit.
#include "storage/feature_upload.hpp"

namespace lagom::storage {

namespace {

status bad(const std::string& why, uint64_t id) {
  return status::error(errc::invalid_argument, why, "upload " + std::to_string(id));
}

template <class T>
void append(std::vector<T>& to, const std::vector<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

} // namespace

feature_frame slice_rows(const feature_frame& f, size_t begin, size_t end) {
  feature_frame out;
  out.columns.reserve(f.columns.size());
  for (const auto& c : f.columns) {
    feature_column s;
    s.spec = c.spec;
    const size_t w = c.spec.width == 0 ? 1 : c.spec.width;
    auto cut = [&](const auto& v, auto& to, size_t per) {
      if (!v.empty())
        to.assign(v.begin() + static_cast<long>(begin * per), v.begin() + static_cast<long>(end * per));
    };
    cut(c.i64, s.i64, 1);
    cut(c.f32, s.f32, w);
    cut(c.f64, s.f64, 1);
    cut(c.str, s.str, 1);
    cut(c.u8, s.u8, w);
    cut(c.valid, s.valid, 1);
    out.columns.push_back(std::move(s));
  }
  return out;
}

uint64_t frame_bytes(const feature_frame& f) {
  uint64_t n = 0;
  for (const auto& c : f.columns) {
    n += c.i64.size() * 8 + c.f32.size() * 4 + c.f64.size() * 8 + c.u8.size() + c.valid.size();
    for (const auto& s : c.str)
      n += s.size() + 8;
  }
  return n;
}

status append_frame(feature_frame* to, const feature_frame& from, const std::string& where) {
  if (to->columns.empty()) {
    *to = from;
    return status::ok();
  }
  if (from.columns.size() != to->columns.size())
    return status::error(errc::invalid_argument,
                         std::to_string(from.columns.size()) + " columns where the first part has " +
                           std::to_string(to->columns.size()),
                         where);
  for (size_t c = 0; c < from.columns.size(); ++c)
    if (from.columns[c].spec != to->columns[c].spec)
      return status::error(errc::invalid_argument,
                           "column " + std::to_string(c) + " '" + from.columns[c].spec.name +
                             "' differs from the first part's '" + to->columns[c].spec.name + "'",
                           where);
  const size_t old_rows = to->rows(), new_rows = from.rows();
  for (size_t c = 0; c < from.columns.size(); ++c) {
    auto& t = to->columns[c];
    const auto& f = from.columns[c];
    append(t.i64, f.i64);
    append(t.f32, f.f32);
    append(t.f64, f.f64);
    append(t.str, f.str);
    append(t.u8, f.u8);
    if (!t.valid.empty() || !f.valid.empty()) {
      t.valid.resize(old_rows, 1);
      if (f.valid.empty())
        t.valid.resize(old_rows + new_rows, 1);
      else
        append(t.valid, f.valid);
    }
  }
  return status::ok();
}

status upload_stage::add(uint64_t id, const std::string& group, uint32_t seq, feature_frame rows,
                         uint64_t bytes, int64_t now_ms) {
  auto it = uploads_.find(id);
  if (it == uploads_.end()) {
    if (seq != 0)
      return bad("part " + std::to_string(seq) + " of an upload not started (or expired)", id);
    if (uploads_.size() >= limits_.max_uploads)
      return status::error(errc::unavailable,
                           std::to_string(uploads_.size()) + " uploads in progress (at most " +
                             std::to_string(limits_.max_uploads) + ")",
                           "upload " + std::to_string(id));
    it = uploads_.emplace(id, upload{group, {}, 0, now_ms}).first;
  }
  auto& u = it->second;
  status st;
  if (u.group != group)
    st = bad("belongs to group " + u.group + ", not " + group, id);
  else if (seq != u.parts.size())
    st = bad("part " + std::to_string(seq) + " where part " + std::to_string(u.parts.size()) +
               " was expected",
             id);
  else if (bytes_ + bytes > limits_.max_bytes)
    st = status::error(errc::unavailable,
                       "staging would hold " + std::to_string(bytes_ + bytes) +
                         " bytes (at most " + std::to_string(limits_.max_bytes) + ")",
                       "upload " + std::to_string(id));
  else if (!u.parts.empty()) {
    feature_frame probe;
    probe.columns.reserve(rows.columns.size());
    for (const auto& c : u.parts.front().columns)
      probe.columns.push_back(feature_column{c.spec, {}, {}, {}, {}, {}, {}});
    st = append_frame(&probe, rows, "upload " + std::to_string(id) + " part " +
                                      std::to_string(seq));
  }
  if (!st) {
    drop(it);
    return st;
  }
  u.parts.push_back(std::move(rows));
  u.bytes += bytes;
  bytes_ += bytes;
  u.touched_ms = now_ms;
  return status::ok();
}

status upload_stage::take(uint64_t id, const std::string& group, uint32_t parts,
                          feature_frame last, feature_frame* out) {
  auto it = uploads_.find(id);
  if (it == uploads_.end())
    return bad("no such upload in progress (never started, or idle too long and dropped)", id);
  auto& u = it->second;
  if (u.group != group) {
    // another client's upload: leave it
    return bad("belongs to group " + u.group + ", not " + group, id);
  }
  if (u.parts.size() != parts) {
    auto why = std::to_string(u.parts.size()) + " parts staged where the write names " +
               std::to_string(parts);
    drop(it);
    return bad(why, id);
  }
  feature_frame joined = std::move(u.parts.front());
  status st;
  for (size_t i = 1; i < u.parts.size() && st; ++i) {
    st = append_frame(&joined, u.parts[i], "upload " + std::to_string(id) + " part " +
                                             std::to_string(i));
    u.parts[i] = feature_frame{}; // free as we go
  }
  if (st)
    st = append_frame(&joined, last, "upload " + std::to_string(id) + " last part");
  drop(it);
  if (!st)
    return st;
  *out = std::move(joined);
  return status::ok();
}

size_t upload_stage::expire(int64_t now_ms) {
  size_t n = 0;
  for (auto it = uploads_.begin(); it != uploads_.end();) {
    auto next = std::next(it);
    if (now_ms - it->second.touched_ms > limits_.idle_ms) {
      drop(it);
      ++n;
    }
    it = next;
  }
  return n;
}

void upload_stage::drop(std::map<uint64_t, upload>::iterator it) {
  bytes_ -= it->second.bytes;
  uploads_.erase(it);
}

} // namespace lagom::storage
