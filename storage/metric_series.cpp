#include "storage/metric_series.hpp"

#include "storage/encoding.hpp"

namespace lagom::storage::metric_series {

namespace {

// A point's step is the 8 bytes after its series prefix; anything else there
// is not a key this layout writes.
status read_point(std::string_view key, std::string_view value, size_t prefix_size,
                  const std::string& where, metric_point* out) {
  if (key.size() != prefix_size + 8)
    return status::error(errc::io_error,
                         "corrupt record: metric point key of " + std::to_string(key.size()) +
                           " bytes, expected " + std::to_string(prefix_size + 8),
                         where);
  out->step = byte_reader(key.substr(prefix_size)).u64();
  return decode(value, where, out);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

} // namespace

std::string prefix(uint64_t id, uint32_t run, std::string_view key, bool end) {
  byte_writer w;
  w.u64(id);
  w.u32(run);
  w.raw(key);
  w.u8(end ? 1 : 0);
  return w.take();
}

status put(write_txn& t, const db_handle& db, uint64_t id, uint32_t run, std::string_view key,
           const metric_point& p) {
  return t.put(db, prefix(id, run, key) + be64(p.step), encode(p));
}

status read(const txn& t, const db_handle& db, uint64_t id, uint32_t run, std::string_view key,
            const std::string& where, std::vector<metric_point>* out) {
  std::string first = prefix(id, run, key);
  status bad;
  status st = t.for_each(db, first, [&](std::string_view k, std::string_view v) {
    metric_point p;
    bad = read_point(k, v, first.size(), where, &p);
    out->push_back(p);
    return bad.is_ok();
  });
  if (!bad)
    out->pop_back();
  return st ? bad : st;
}

status last(const txn& t, const db_handle& db, uint64_t id, uint32_t run, std::string_view key,
            const std::string& where, metric_point* out, bool* found) {
  *found = false;
  std::string first = prefix(id, run, key);
  cursor c;
  status st = t.open_cursor(db, &c);
  if (st)
    st = c.seek(prefix(id, run, key, true));
  if (st)
    st = c.valid() ? c.prev() : c.last();
  if (!st || !c.valid() || !starts_with(c.key(), first))
    return st;
  *found = true;
  return read_point(c.key(), c.value(), first.size(), where, out);
}

status keys(const txn& t, const db_handle& db, uint64_t id, uint32_t run,
            std::vector<std::string>* out) {
  byte_writer w;
  w.u64(id);
  w.u32(run);
  const std::string& run_prefix = w.bytes();
  cursor c;
  status st = t.open_cursor(db, &c);
  if (st)
    st = c.seek(run_prefix);
  while (st && c.valid() && starts_with(c.key(), run_prefix)) {
    std::string_view rest = c.key().substr(run_prefix.size());
    out->emplace_back(rest.substr(0, rest.find('\0')));
    st = c.seek(prefix(id, run, out->back(), true));  // past this key's series
  }
  return st;
}

} // namespace lagom::storage::metric_series
