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
  if (in.getCode() > static_cast<uint8_t>(errc::fenced))
    code = errc::internal;
  return status::error(code, in.getMessage().cStr(), in.getWhere().cStr());
}

void to_wire(schema::Container::Builder out, const scheduling::container& in) {
  out.setId(in.id);
  out.setNodeId(in.node_id);
  out.setNodeName(in.node_name);
  out.setCpus(in.cpus);
  out.setMemoryMb(in.memory_mb);
  auto gpus = out.initGpuIds(static_cast<unsigned>(in.gpu_ids.size()));
  for (unsigned k = 0; k < in.gpu_ids.size(); ++k)
    gpus.set(k, in.gpu_ids[k]);
}

scheduling::container from_wire(schema::Container::Reader in) {
  scheduling::container c;
  c.id = in.getId();
  c.node_id = in.getNodeId();
  c.node_name = in.getNodeName().cStr();
  c.cpus = in.getCpus();
  c.memory_mb = in.getMemoryMb();
  for (auto g : in.getGpuIds())
    c.gpu_ids.push_back(g);
  return c;
}

void to_wire(schema::FunctionSpec::Builder out, const train_fn_registration& in) {
  out.setName(in.name);
  out.setOpen(in.open);
  auto list = out.initParams(static_cast<unsigned>(in.params.size()));
  for (unsigned i = 0; i < in.params.size(); ++i) {
    auto& p = in.params[i];
    auto b = list[i];
    b.setName(p.name);
    b.setKind(static_cast<uint8_t>(p.type));
    auto d = b.initDefault();
    if (auto x = std::get_if<double>(&p.default_value))
      d.setNumber(*x);
    else
      d.setText(std::get<std::string>(p.default_value));
    d.setKey(p.name);
    b.setMin(p.min);
    b.setMax(p.max);
    auto cs = b.initChoices(static_cast<unsigned>(p.choices.size()));
    for (unsigned k = 0; k < p.choices.size(); ++k)
      cs.set(k, p.choices[k]);
    b.setHelp(p.help);
  }
}

train_fn_registration from_wire(schema::FunctionSpec::Reader in) {
  train_fn_registration r;
  r.name = in.getName().cStr();
  r.open = in.getOpen();
  for (auto p : in.getParams()) {
    param_spec s;
    s.name = p.getName().cStr();
    s.type = p.getKind() <= 3 ? static_cast<param_spec::kind>(p.getKind())
                              : param_spec::kind::text;
    auto d = p.getDefault();
    if (d.isNumber())
      s.default_value = d.getNumber();
    else
      s.default_value = std::string(d.getText().cStr());
    s.min = p.getMin();
    s.max = p.getMax();
    for (auto c : p.getChoices())
      s.choices.push_back(c.cStr());
    s.help = p.getHelp().cStr();
    r.params.push_back(std::move(s));
  }
  return r;
}

} // namespace lagom::wire
