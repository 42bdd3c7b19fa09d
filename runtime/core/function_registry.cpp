#include "lagom/train.hpp"

namespace lagom {

std::vector<train_fn_registration>& linked_train_fns() {
  static std::vector<train_fn_registration> list;
  return list;
}

function_registry function_registry::from_linked() {
  function_registry r;
  for (auto& reg : linked_train_fns())
    r.add(reg.name, reg.fn);
  return r;
}

bool function_registry::add(const std::string& name, train_fn fn) {
  return fns_.emplace(name, std::move(fn)).second;
}

const train_fn* function_registry::find(const std::string& name) const {
  auto i = fns_.find(name);
  return i == fns_.end() ? nullptr : &i->second;
}

std::vector<std::string> function_registry::names() const {
  std::vector<std::string> out;
  for (auto& kv : fns_)
    out.push_back(kv.first);
  return out;
}

} // namespace lagom
