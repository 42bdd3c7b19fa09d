#include "wire/convert.hpp"

namespace lagom::wire {

void to_wire(capnp::List<schema::KeyValue>::Builder out, const named_values& in) {
  unsigned i = 0;
  for (auto& [key, v] : in.entries()) {
    auto kv = out[i++];
    kv.setKey(key);
    if (auto d = std::get_if<double>(&v))
      kv.setNumber(*d);
    else
      kv.setText(std::get<std::string>(v));
  }
}

named_values from_wire(capnp::List<schema::KeyValue>::Reader in) {
  named_values out;
  for (auto kv : in) {
    if (kv.isNumber())
      out.set(kv.getKey().cStr(), kv.getNumber());
    else
      out.set(kv.getKey().cStr(), std::string(kv.getText().cStr()));
  }
  return out;
}

void to_wire(schema::Error::Builder out, const status& in) {
  out.setCode(static_cast<uint8_t>(in.code()));
  out.setMessage(in.message());
  out.setWhere(in.where());
}

status from_wire(schema::Error::Reader in) {
  auto code = static_cast<errc>(in.getCode());
  if (code == errc::ok)
    return status::ok();
  if (in.getCode() > static_cast<uint8_t>(errc::internal))
    code = errc::internal;
  return status::error(code, in.getMessage().cStr(), in.getWhere().cStr());
}

} // namespace lagom::wire
