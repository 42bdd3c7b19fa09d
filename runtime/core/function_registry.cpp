#include "lagom/train.hpp"

namespace lagom {

std::vector<train_fn_registration>& linked_train_fns() {
  static std::vector<train_fn_registration> list;
  return list;
}

function_registry function_registry::from_linked() {
  function_registry r;
  for (auto& reg : linked_train_fns())
    r.add(reg);
  return r;
}

bool function_registry::add(const train_fn_registration& r) {
  return fns_.emplace(r.name, r).second;
}

bool function_registry::add(const std::string& name, train_fn fn) {
  return add({name, std::move(fn), {}, true});
}

bool function_registry::add(const std::string& name, train_fn fn,
                            std::vector<param_spec> params) {
  return add({name, std::move(fn), std::move(params), false});
}

const train_fn_registration* function_registry::lookup(const std::string& name) const {
  auto i = fns_.find(name);
  return i == fns_.end() ? nullptr : &i->second;
}

const train_fn* function_registry::find(const std::string& name) const {
  auto r = lookup(name);
  return r == nullptr ? nullptr : &r->fn;
}

status function_registry::check(const std::string& name, named_values& params) const {
  auto r = lookup(name);
  if (r == nullptr)
    return status::error(errc::not_found, "unknown function '" + name + "'", "launch");
  if (r->open)
    return status::ok();
  return check_params(name, r->params, params);
}

std::vector<std::string> function_registry::names() const {
  std::vector<std::string> out;
  for (auto& kv : fns_)
    out.push_back(kv.first);
  return out;
}

} // namespace lagom
