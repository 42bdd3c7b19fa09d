// model: specs, validation (shape inference), the flat blocks and their
// views, buffers, initialisation. forward/backward live in model_step.cpp.
#include <cmath>
#include <random>
#include <sstream>

#include "nn/layer.hpp"

namespace lagom::nn {

const char* to_string(layer_kind kind) {
  switch (kind) {
    case layer_kind::conv2d: return "conv2d";
    case layer_kind::batchnorm: return "batchnorm";
    case layer_kind::maxpool2d: return "maxpool2d";
    case layer_kind::dropout: return "dropout";
    case layer_kind::flatten: return "flatten";
    case layer_kind::dense: return "dense";
    case layer_kind::relu: return "relu";
  }
  return "unknown";
}

layer_spec layer_spec::conv2d(int filters, int kernel, bool relu) {
  layer_spec s;
  s.kind = layer_kind::conv2d, s.units = filters, s.kernel = kernel, s.relu = relu;
  return s;
}
layer_spec layer_spec::batchnorm(float momentum, float eps) {
  layer_spec s;
  s.kind = layer_kind::batchnorm, s.momentum = momentum, s.eps = eps;
  return s;
}
layer_spec layer_spec::maxpool2d() { layer_spec s; s.kind = layer_kind::maxpool2d; return s; }
layer_spec layer_spec::dropout(float rate) {
  layer_spec s;
  s.kind = layer_kind::dropout, s.rate = rate;
  return s;
}
layer_spec layer_spec::flatten() { layer_spec s; s.kind = layer_kind::flatten; return s; }
layer_spec layer_spec::dense(int units, bool relu) {
  layer_spec s;
  s.kind = layer_kind::dense, s.units = units, s.relu = relu;
  return s;
}
layer_spec layer_spec::relu_layer() { layer_spec s; s.kind = layer_kind::relu; return s; }

model_spec fashion_mnist_cnn_spec(float dropout1, float dropout2, float dropout3) {
  using L = layer_spec;
  model_spec s;
  s.channels = 1, s.height = 28, s.width = 28;
  s.layers = {L::conv2d(32), L::batchnorm(), L::maxpool2d(), L::dropout(dropout1),
              L::conv2d(64), L::batchnorm(), L::maxpool2d(), L::dropout(dropout2),
              L::flatten(),  L::dense(128, true), L::dropout(dropout3), L::dense(10)};
  return s;
}

model_spec mlp_spec(int in, int units, float dropout, int classes) {
  using L = layer_spec;
  model_spec s;
  s.channels = in, s.height = 1, s.width = 1;
  s.layers = {L::flatten(), L::dense(units, true), L::dropout(dropout), L::dense(classes)};
  return s;
}

model::model() = default;
model::~model() = default;

int model::classes() const { return layers_.back().oc; }
const float* model::probs() const { return probs_; }

namespace {

status bad(size_t i, const char* field, const std::string& msg) {
  return status::error(errc::invalid_argument, msg,
                       "layers[" + std::to_string(i) + "]." + field);
}

// He uniform (fan_in) before a ReLU, Glorot uniform otherwise (or, with
// init_scheme::fan_in_uniform, U(+-1/sqrt(fan_in)) for weights and biases); uniform floats
// from the top 24 bits of mt19937_64, so the weights depend only on the seed.
void init_uniform(float* w, size_t n, double bound, std::mt19937_64& rng) {
  for (size_t i = 0; i < n; ++i) {
    const double u = double(rng() >> 40) * (1.0 / 16777216.0); // [0, 1)
    w[i] = float((2 * u - 1) * bound);
  }
}

} // namespace

// Infers every layer's shapes and checks the spec; fills `out` on success.
static status plan(const model_spec& spec, std::vector<model::layer>& out);

status make_model(const model_spec& spec, const model_options& opt,
                  std::unique_ptr<model>* out) {
  if (opt.max_batch < 1 || opt.max_batch > (1 << 20))
    return status::error(errc::invalid_argument, "must be in [1, 2^20]", "max_batch");
  std::unique_ptr<model> m(new model());
  if (auto st = plan(spec, m->layers_); !st)
    return st;
  m->k_ = opt.backend ? opt.backend : &cpu_kernels();
  m->spec_ = spec;
  m->max_batch_ = opt.max_batch;
  m->seed_ = opt.seed;
  const size_t B = size_t(opt.max_batch);

  // Views into the flat blocks, and the buffer sizes (in floats, 64-byte aligned).
  size_t np = 0, ns = 0, nacts = 0, nbytes = 0, largest = 0;
  auto reserve = [&](size_t n) { size_t at = nacts; nacts += (n + 15) / 16 * 16; return at; };
  std::vector<size_t> at_out, at_mean;
  const layer_spec& first = spec.layers.front();
  const bool rows_in = first.kind == layer_kind::flatten || first.kind == layer_kind::dense;
  const bool copy_input = !rows_in && spec.channels > 1; // NCHW -> channel-major
  const size_t at_input = copy_input ? reserve(B * spec.channels * spec.height * spec.width) : 0;
  for (size_t i = 0; i < m->layers_.size(); ++i) {
    model::layer& l = m->layers_[i];
    const std::string p = std::to_string(i) + "." + to_string(l.spec.kind) + ".";
    auto view = [&](const char* what, size_t count, shape dims) {
      m->layout_.push_back(param_info{p + what, np, count, dims});
      np += count;
      return m->layout_.back().offset;
    };
    if (l.spec.kind == layer_kind::conv2d) {
      const int ks = l.spec.kernel;
      l.nweight = size_t(l.oc) * l.c * ks * ks, l.nbias = size_t(l.oc);
      l.weight = view("weight", l.nweight, shape{l.oc, l.c, ks, ks});
      l.bias = view("bias", l.nbias, shape{l.oc, 1, 1, 1});
    } else if (l.spec.kind == layer_kind::dense) {
      l.nweight = size_t(l.oc) * l.c, l.nbias = size_t(l.oc);
      l.weight = view("weight", l.nweight, shape{l.oc, l.c, 1, 1});
      l.bias = view("bias", l.nbias, shape{l.oc, 1, 1, 1});
    } else if (l.spec.kind == layer_kind::batchnorm) {
      l.nweight = l.nbias = size_t(l.c);
      l.weight = view("weight", l.nweight, shape{l.c, 1, 1, 1});
      l.bias = view("bias", l.nbias, shape{l.c, 1, 1, 1});
      l.stat = ns;
      ns += 2 * size_t(l.c);
    }
    at_out.push_back(l.alias || l.pool_next ? 0 : reserve(l.out_size(B)));
    at_mean.push_back(l.spec.kind == layer_kind::batchnorm ? reserve(2 * size_t(l.c)) : 0);
    if (l.spec.kind == layer_kind::maxpool2d || l.spec.kind == layer_kind::dropout)
      nbytes += l.out_size(B);
    largest = std::max(largest, std::max(l.in_size(B), l.out_size(B)));
    if (i + 1 < m->layers_.size() && m->layers_[i + 1].spec.kind == layer_kind::batchnorm)
      l.relu_in_next = l.spec.relu;
  }
  if (double(largest) > double(1u << 31) / 16)
    return status::error(errc::invalid_argument, "too large for this model's activations",
                         "max_batch");
  const size_t at_probs = reserve(B * m->layers_.back().oc);
  const size_t at_ga = reserve(largest), at_gb = reserve(largest);

  m->params_.assign(np, 0.f);
  m->grads_.assign(np, 0.f);
  m->stats_.assign(ns, 0.f);
  m->acts_.assign(nacts, 0.f);
  m->bytes_.assign(nbytes, 0);
  m->act_.assign(m->layers_.size() + 1, nullptr);
  m->targets_.assign(B, 0);
  float* a = m->acts_.data();
  m->input_ = copy_input ? a + at_input : nullptr;
  m->probs_ = a + at_probs;
  m->grad_a_ = a + at_ga, m->grad_b_ = a + at_gb;
  size_t at_bytes = 0;
  std::mt19937_64 rng(opt.seed);
  for (size_t i = 0; i < m->layers_.size(); ++i) {
    model::layer& l = m->layers_[i];
    l.out = l.alias || l.pool_next ? nullptr : a + at_out[i];
    l.mean = l.spec.kind == layer_kind::batchnorm ? a + at_mean[i] : nullptr;
    l.rstd = l.mean ? l.mean + l.c : nullptr;
    if (l.spec.kind == layer_kind::maxpool2d || l.spec.kind == layer_kind::dropout) {
      l.mask = m->bytes_.data() + at_bytes;
      at_bytes += l.out_size(B);
    }
    float* w = m->params_.data() + l.weight;
    if (l.spec.kind == layer_kind::batchnorm) {
      std::fill(w, w + l.nweight, 1.f);                                  // gamma
      std::fill(m->stats_.begin() + l.stat + l.c, m->stats_.begin() + l.stat + 2 * l.c, 1.f);
    } else if (l.nweight) {
      const size_t ks = l.spec.kind == layer_kind::conv2d ? size_t(l.spec.kernel) : 1;
      const double fan_in = double(l.c) * ks * ks, fan_out = double(l.oc) * ks * ks;
      const bool relu_next = l.spec.relu || (i + 1 < m->layers_.size() &&
                                             m->layers_[i + 1].spec.kind == layer_kind::relu);
      if (opt.init == init_scheme::fan_in_uniform) {
        const double bound = 1.0 / std::sqrt(fan_in);
        init_uniform(w, l.nweight, bound, rng);
        init_uniform(m->params_.data() + l.bias, l.nbias, bound, rng);
      } else {
        init_uniform(w, l.nweight, relu_next ? std::sqrt(6.0 / fan_in)
                                             : std::sqrt(6.0 / (fan_in + fan_out)), rng);
      }
    }
  }
  *out = std::move(m);
  return status::ok();
}

status make_fashion_mnist_cnn(const model_options& opt, std::unique_ptr<model>* out,
                              float dropout1, float dropout2, float dropout3) {
  return make_model(fashion_mnist_cnn_spec(dropout1, dropout2, dropout3), opt, out);
}

status make_mlp(int in, int units, float dropout, int classes, const model_options& opt,
                std::unique_ptr<model>* out) {
  return make_model(mlp_spec(in, units, dropout, classes), opt, out);
}

static status plan(const model_spec& spec, std::vector<model::layer>& out) {
  if (spec.channels < 1 || spec.height < 1 || spec.width < 1)
    return status::error(errc::invalid_argument, "input dims must be >= 1",
                         "spec.channels/height/width");
  if (spec.layers.empty())
    return status::error(errc::invalid_argument, "a model needs layers", "spec.layers");
  const layer_spec& last = spec.layers.back();
  if (last.kind != layer_kind::dense || last.relu)
    return bad(spec.layers.size() - 1, "kind",
               "the last layer must be dense without relu (the logits)");
  std::vector<model::layer> ls;
  const layer_spec& first = spec.layers.front();
  bool spatial = !(first.kind == layer_kind::flatten || first.kind == layer_kind::dense);
  int c = spatial ? spec.channels : spec.channels * spec.height * spec.width;
  int h = spatial ? spec.height : 1, w = spatial ? spec.width : 1;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    model::layer l;
    l.spec = spec.layers[i];
    l.spatial_in = spatial, l.c = c, l.h = h, l.w = w;
    int oc = c, oh = h, ow = w;
    switch (l.spec.kind) {
      case layer_kind::conv2d:
        if (!spatial)
          return bad(i, "kind", "conv2d needs an image input (it follows a flatten)");
        if (l.spec.units < 1)
          return bad(i, "units", "conv2d needs units (filters) >= 1");
        if (l.spec.kernel < 1 || l.spec.kernel % 2 == 0 || l.spec.kernel > 15)
          return bad(i, "kernel", "conv2d kernel must be odd and in [1, 15]");
        oc = l.spec.units;
        break;
      case layer_kind::batchnorm:
        if (!(l.spec.momentum >= 0.f && l.spec.momentum <= 1.f))
          return bad(i, "momentum", "batchnorm momentum must be in [0, 1]");
        if (!(l.spec.eps > 0.f))
          return bad(i, "eps", "batchnorm eps must be > 0");
        break;
      case layer_kind::maxpool2d:
        if (!spatial || h < 2 || w < 2)
          return bad(i, "kind", "maxpool2d needs an image input of at least 2x2");
        oh = h / 2, ow = w / 2;
        break;
      case layer_kind::dropout:
        if (!(l.spec.rate >= 0.f && l.spec.rate < 1.f))
          return bad(i, "rate", "dropout rate must be in [0, 1)");
        break;
      case layer_kind::flatten:
        l.alias = !spatial;
        oc = c * h * w, oh = ow = 1, spatial = false;
        break;
      case layer_kind::dense:
        if (spatial)
          return bad(i, "kind", "dense needs a flat input: add a flatten layer before it");
        if (l.spec.units < 1)
          return bad(i, "units", "dense needs units >= 1");
        oc = l.spec.units;
        break;
      case layer_kind::relu:
        break;
      default:
        return bad(i, "kind", "unknown layer kind");
    }
    if (double(oc) * oh * ow > double(1 << 26))
      return bad(i, "units", "layer output too large (over 2^26 values per sample)");
    l.spatial_out = spatial, l.oc = oc, l.oh = oh, l.ow = ow;
    c = oc, h = oh, w = ow;
    ls.push_back(l);
  }
  for (size_t i = 0; i + 1 < ls.size(); ++i) // batchnorm -> maxpool2d runs as one kernel
    if (ls[i].spec.kind == layer_kind::batchnorm && ls[i].spatial_in &&
        ls[i + 1].spec.kind == layer_kind::maxpool2d)
      ls[i].pool_next = ls[i + 1].fused = true;
  out = std::move(ls);
  return status::ok();
}

std::string model::summary() const {
  std::ostringstream os;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const layer& l = layers_[i];
    os << i << " " << to_string(l.spec.kind) << (l.spec.relu ? "+relu" : "") << " -> ("
       << l.oc << ", " << l.oh << ", " << l.ow << ") params " << l.nweight + l.nbias << "\n";
  }
  os << "total params " << param_count() << ", stats " << stats_count() << "\n";
  return os.str();
}

} // namespace lagom::nn
