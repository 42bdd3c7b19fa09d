#include "storage/feature_csv.hpp"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace lagom::storage {

namespace {

struct field {
  std::string text;
  uint32_t line = 0, col = 0;
};

class csv_parser {
public:
  csv_parser(std::string_view text, const std::string& path, const csv_options& o)
    : t_(text), path_(path), o_(o) {}

  // Parses the next record into `out`; false at the end of the text.
  status next(std::vector<field>* out, bool* got) {
    out->clear();
    // Blank lines between records are passed over.
    while (i_ < t_.size() && (t_[i_] == '\n' || (t_[i_] == '\r' && i_ + 1 < t_.size() &&
                                                  t_[i_ + 1] == '\n'))) {
      i_ += t_[i_] == '\r' ? 2 : 1;
      newline();
    }
    *got = i_ < t_.size();
    if (!*got)
      return status::ok();
    for (;;) {
      field f;
      f.line = line_;
      f.col = col();
      if (i_ < t_.size() && t_[i_] == '"') {
        if (auto st = quoted(&f); !st)
          return st;
      } else if (auto st = unquoted(&f); !st) {
        return st;
      }
      out->push_back(std::move(f));
      if (out->size() > o_.max_columns)
        return here("more than " + std::to_string(o_.max_columns) + " fields in a record");
      if (i_ < t_.size() && t_[i_] == o_.delimiter) {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '\r') {
        if (i_ + 1 >= t_.size() || t_[i_ + 1] != '\n')
          return here("carriage return not followed by a line feed");
        ++i_;
      }
      if (i_ < t_.size() && t_[i_] == '\n') {
        ++i_;
        newline();
      }
      return status::ok();
    }
  }

  status error_at(uint32_t line, uint32_t col, const std::string& msg) const {
    return status::error(errc::invalid_argument, msg,
                         path_ + ":" + std::to_string(line) + ":" + std::to_string(col));
  }

private:
  uint32_t col() const { return static_cast<uint32_t>(i_ - line_start_ + 1); }
  void newline() {
    ++line_;
    line_start_ = i_;
  }
  status here(const std::string& msg) const { return error_at(line_, col(), msg); }

  status grow(field* f, char c) {
    if (f->text.size() >= o_.max_field_bytes)
      return error_at(f->line, f->col,
                      "field longer than " + std::to_string(o_.max_field_bytes) + " bytes");
    f->text.push_back(c);
    return status::ok();
  }

  status quoted(field* f) {
    uint32_t qline = line_, qcol = col();
    ++i_;
    for (;;) {
      if (i_ >= t_.size())
        return error_at(qline, qcol, "unterminated quote");
      char c = t_[i_];
      if (c == '\0')
        return here("NUL byte");
      if (c == '"') {
        if (i_ + 1 < t_.size() && t_[i_ + 1] == '"') {
          if (auto st = grow(f, '"'); !st)
            return st;
          i_ += 2;
          continue;
        }
        ++i_;
        break;
      }
      if (auto st = grow(f, c); !st)
        return st;
      ++i_;
      if (c == '\n')
        newline();
    }
    if (i_ < t_.size() && t_[i_] != o_.delimiter && t_[i_] != '\n' && t_[i_] != '\r')
      return here("text after a closing quote");
    return status::ok();
  }

  status unquoted(field* f) {
    while (i_ < t_.size() && t_[i_] != o_.delimiter && t_[i_] != '\n' && t_[i_] != '\r') {
      char c = t_[i_];
      if (c == '\0')
        return here("NUL byte");
      if (c == '"')
        return here("quote inside an unquoted field (quote the whole field and double it)");
      if (auto st = grow(f, c); !st)
        return st;
      ++i_;
    }
    return status::ok();
  }

  std::string_view t_;
  const std::string& path_;
  const csv_options& o_;
  size_t i_ = 0, line_start_ = 0;
  uint32_t line_ = 1;

  friend status parse_csv(std::string_view, const std::string&, const csv_options&,
                          feature_frame*);
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  if (!s.empty() && s.front() == '+')
    s.remove_prefix(1);
  return s;
}

bool parse_int(std::string_view s, int64_t* v) {
  s = trim(s);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(std::string_view s, double* v) {
  s = trim(s);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

} // namespace

status parse_csv(std::string_view text, const std::string& path, const csv_options& o,
                 feature_frame* out) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    text.remove_prefix(3);
  if (text.empty())
    return status::error(errc::invalid_argument, "empty file: a CSV needs a header and rows",
                         path);
  csv_parser p(text, path, o);
  std::vector<field> header;
  bool got = false;
  if (auto st = p.next(&header, &got); !st)
    return st;
  if (!got)
    return status::error(errc::invalid_argument, "empty file: a CSV needs a header and rows",
                         path);
  std::set<std::string> names;
  for (const auto& h : header) {
    if (auto st = check_feature_name("header", h.text); !st)
      return p.error_at(h.line, h.col, "header field: " + st.message());
    if (!names.insert(h.text).second)
      return p.error_at(h.line, h.col, "header field '" + h.text + "' appears twice");
  }
  for (const auto& [name, type] : o.types) {
    std::string where = path + ": header field '" + name + "'";
    if (!names.count(name))
      return status::error(errc::invalid_argument,
                           "a type is declared for it but the header has no such field", where);
    if (is_vector(type))
      return status::error(errc::invalid_argument,
                           std::string("declared ") + to_string(type) +
                             "; CSV columns are int64, float32, float64 or string",
                           where);
  }
  size_t ncols = header.size();
  std::vector<std::vector<field>> cols(ncols);
  std::vector<field> rec;
  for (;;) {
    if (auto st = p.next(&rec, &got); !st)
      return st;
    if (!got)
      break;
    if (rec.size() != ncols)
      return p.error_at(rec.front().line, 1,
                        "record has " + std::to_string(rec.size()) + " fields; the header has " +
                          std::to_string(ncols));
    for (size_t c = 0; c < ncols; ++c)
      cols[c].push_back(std::move(rec[c]));
  }
  if (cols.front().empty())
    return status::error(errc::invalid_argument, "header only: no data rows", path);

  feature_frame f;
  for (size_t c = 0; c < ncols; ++c) {
    const std::string& name = header[c].text;
    feature_type type;
    auto declared = o.types.find(name);
    if (declared != o.types.end()) {
      type = declared->second;
    } else {
      bool ints = true, nums = true;
      for (const auto& fl : cols[c]) {
        if (fl.text.empty())
          continue;
        int64_t i;
        double d;
        ints = ints && parse_int(fl.text, &i);
        nums = nums && (ints || parse_double(fl.text, &d));
        if (!nums)
          break;
      }
      type = ints ? feature_type::int64 : nums ? feature_type::float64 : feature_type::string;
    }
    feature_column col;
    col.spec = {name, type, 1};
    col.reserve(cols[c].size());
    for (auto& fl : cols[c]) {
      if (fl.text.empty() && type != feature_type::string) {
        col.push_null();
        continue;
      }
      int64_t i = 0;
      double d = 0;
      bool ok = true;
      switch (type) {
      case feature_type::int64: ok = parse_int(fl.text, &i); col.i64.push_back(i); break;
      case feature_type::float32:
        ok = parse_double(fl.text, &d);
        col.f32.push_back(static_cast<float>(d));
        break;
      case feature_type::float64: ok = parse_double(fl.text, &d); col.f64.push_back(d); break;
      default: col.str.push_back(std::move(fl.text)); break;
      }
      if (!ok)
        return p.error_at(fl.line, fl.col,
                          "'" + fl.text.substr(0, 40) + "' is not a " + to_string(type) +
                            " (column '" + name + "')");
      if (!col.valid.empty())
        col.valid.push_back(1);
    }
    f.columns.push_back(std::move(col));
  }
  *out = std::move(f);
  return status::ok();
}

status read_csv(const std::string& path, const csv_options& o, feature_frame* out) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0)
    return status::error(errno == ENOENT ? errc::not_found : errc::io_error,
                         errno == ENOENT ? "no such file" : "cannot read the file", path);
  if (static_cast<uint64_t>(sb.st_size) > o.max_file_bytes)
    return status::error(errc::invalid_argument,
                         "file of " + std::to_string(sb.st_size) + " bytes; at most " +
                           std::to_string(o.max_file_bytes),
                         path);
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<size_t>(sb.st_size), '\0');
  if (!in || !in.read(text.data(), static_cast<std::streamsize>(text.size())))
    return status::error(errc::io_error, "cannot read the file", path);
  return parse_csv(text, path, o, out);
}

namespace {
void put_field(std::string& out, std::string_view s, char delim) {
  if (s.find_first_of(std::string{delim, '"', '\n', '\r'}) == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
}

void put_number(std::string& out, double v, bool single) {
  char buf[40];
  std::snprintf(buf, sizeof buf, single ? "%.9g" : "%.17g", v);
  out += buf;
}
} // namespace

status write_csv(const std::string& path, const feature_frame& f, char delim) {
  std::string out;
  bool first = true;
  for (const auto& c : f.columns) {
    if (is_vector(c.spec.type))
      for (uint32_t e = 0; e < c.spec.width; ++e) {
        out += first ? "" : std::string(1, delim);
        out += c.spec.name + "_" + std::to_string(e);
        first = false;
      }
    else {
      out += first ? "" : std::string(1, delim);
      out += c.spec.name;
      first = false;
    }
  }
  out += '\n';
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file)
    return status::error(errc::io_error, "cannot create the file", path);
  for (size_t r = 0; r < f.rows(); ++r) {
    first = true;
    const size_t row_start = out.size();
    for (const auto& c : f.columns) {
      for (uint32_t e = 0; e < c.spec.width; ++e) {
        if (!first)
          out += delim;
        first = false;
        if (c.is_null(r))
          continue;
        switch (c.spec.type) {
        case feature_type::int64: out += std::to_string(c.i64[r]); break;
        case feature_type::string: put_field(out, c.str[r], delim); break;
        case feature_type::u8_vector: out += std::to_string(c.u8[r * c.spec.width + e]); break;
        case feature_type::float32:
        case feature_type::f32_vector: put_number(out, c.number(r, e), true); break;
        case feature_type::float64: put_number(out, c.f64[r], false); break;
        }
      }
    }
    // A row that wrote nothing (one column, an empty string or a null) would be
    // a blank line, which the reader skips: write it as a quoted empty field.
    if (out.size() == row_start)
      out += "\"\"";
    out += '\n';
    if (out.size() > (1 << 20)) {
      file.write(out.data(), static_cast<std::streamsize>(out.size()));
      out.clear();
    }
  }
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  file.close();
  if (!file)
    return status::error(errc::io_error, "cannot write the file", path);
  return status::ok();
}

} // namespace lagom::storage
