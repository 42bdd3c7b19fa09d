// save_state / load_state: the format is in checkpoint.hpp.
#include "nn/checkpoint.hpp"

#include <algorithm>
#include <cstring>

namespace lagom::nn {

namespace {

constexpr uint32_t magic = 0x4e4e474c, version = 1;
constexpr size_t header_size = 64;

struct header {
  uint32_t magic, version;
  uint64_t params, stats, seed, rng_counter;
  char opt_name[8];
  uint64_t opt_steps, opt_state;
};
static_assert(sizeof(header) == header_size, "checkpoint header layout");

status mismatch(const char* field, uint64_t saved, uint64_t here, const char* what) {
  return status::error(errc::invalid_argument,
                       "checkpoint has " + std::to_string(saved) + " " + what + ", this " +
                           "one has " + std::to_string(here) +
                           " (HINT: was it saved from the same model spec and optimizer?)",
                       std::string("checkpoint.") + field);
}

} // namespace

size_t state_size(const model& m, const optimizer* opt) {
  return header_size +
         sizeof(float) * (m.param_count() + m.stats_count() + (opt ? opt->state_count() : 0));
}

std::vector<uint8_t> save_state(const model& m, const optimizer* opt) {
  header h{};
  h.magic = magic, h.version = version;
  h.params = m.param_count(), h.stats = m.stats_count();
  h.seed = m.seed(), h.rng_counter = m.rng_counter();
  if (opt) {
    std::memcpy(h.opt_name, opt->name(), std::min(sizeof(h.opt_name), std::strlen(opt->name())));
    h.opt_steps = opt->steps(), h.opt_state = opt->state_count();
  }
  std::vector<uint8_t> out(state_size(m, opt));
  uint8_t* p = out.data();
  auto put = [&p](const void* src, size_t bytes) {
    if (bytes)
      std::memcpy(p, src, bytes);
    p += bytes;
  };
  put(&h, sizeof(h));
  put(m.params(), sizeof(float) * h.params);
  put(m.stats(), sizeof(float) * h.stats);
  if (opt)
    put(opt->state(), sizeof(float) * h.opt_state);
  return out;
}

status load_state(model& m, optimizer* opt, const uint8_t* data, size_t size) {
  header h;
  if (size < header_size)
    return status::error(errc::invalid_argument,
                         std::to_string(size) + " bytes is shorter than the header",
                         "checkpoint");
  std::memcpy(&h, data, sizeof(h));
  if (h.magic != magic)
    return status::error(errc::invalid_argument, "not an nn checkpoint (bad magic)",
                         "checkpoint.magic");
  if (h.version != version)
    return status::error(errc::invalid_argument,
                         "version " + std::to_string(h.version) + " is not supported (1)",
                         "checkpoint.version");
  if (h.params != m.param_count())
    return mismatch("param_count", h.params, m.param_count(), "parameters");
  if (h.stats != m.stats_count())
    return mismatch("stats_count", h.stats, m.stats_count(), "running statistics");
  const std::string saved_opt(h.opt_name, strnlen(h.opt_name, sizeof(h.opt_name)));
  const std::string want_opt = opt ? opt->name() : "";
  if (saved_opt != want_opt)
    return status::error(errc::invalid_argument,
                         "checkpoint holds optimizer '" + saved_opt + "', loading into '" +
                             want_opt + "'", "checkpoint.optimizer");
  if (opt && h.opt_state != opt->state_count())
    return mismatch("optimizer_state_count", h.opt_state, opt->state_count(),
                    "optimizer state floats");
  const uint64_t floats = h.params + h.stats + (opt ? h.opt_state : 0);
  if (size != header_size + sizeof(float) * floats)
    return status::error(errc::invalid_argument,
                         std::to_string(size) + " bytes, expected " +
                             std::to_string(header_size + sizeof(float) * floats),
                         "checkpoint.size");
  const uint8_t* p = data + header_size;
  auto get = [&p](void* dst, size_t bytes) {
    if (bytes)
      std::memcpy(dst, p, bytes);
    p += bytes;
  };
  get(m.params(), sizeof(float) * h.params);
  get(m.stats(), sizeof(float) * h.stats);
  m.set_rng(h.seed, h.rng_counter);
  if (opt) {
    get(opt->state(), sizeof(float) * h.opt_state);
    opt->set_steps(h.opt_steps);
  }
  return status::ok();
}

} // namespace lagom::nn
