// Hyperparameter specifications: what a train function accepts.
//
//   LAGOM_TRAIN_FN_WITH_PARAMS("fashion_mnist_cnn", train_cnn, {
//     lagom::param_spec::real("lr", 0.001, 1e-6, 1.0, "Adam learning rate"),
//     lagom::param_spec::integer("epochs", 2, 1, 1000, "passes over the data"),
//     lagom::param_spec::one_of("optimizer", "adam", {"adam", "sgd"}, "optimizer"),
//   });
//
// A launch is checked against the spec at the head before any container is
// granted: an unknown name, a value of the wrong type or out of range is an
// invalid_argument error naming the hyperparameter (with a did-you-mean for
// near misses). Missing ones take their defaults, so a function always sees
// every declared hyperparameter. A function registered without a spec is
// "open": it takes any hyperparameters unchecked.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom {

struct param_spec {
  enum class kind { real, integer, text, choice };

  std::string name;
  kind type = kind::real;
  value default_value = 0.0;
  double min = -std::numeric_limits<double>::infinity();   // real, integer
  double max = std::numeric_limits<double>::infinity();    // real, integer
  std::vector<std::string> choices;                         // choice
  std::string help;

  static param_spec real(std::string name, double def, double min, double max,
                         std::string help = {});
  static param_spec integer(std::string name, long long def, long long min, long long max,
                            std::string help = {});
  static param_spec text(std::string name, std::string def, std::string help = {});
  static param_spec one_of(std::string name, std::string def, std::vector<std::string> choices,
                           std::string help = {});
};

const char* to_string(param_spec::kind k) noexcept;

/// Checks `params` against `specs` and fills in defaults. Errors are
/// invalid_argument with where = "<function>: <hyperparameter>".
status check_params(const std::string& function, const std::vector<param_spec>& specs,
                    named_values& params);

/// One line per hyperparameter: "name  type  default  range/choices  help".
std::string describe_params(const std::vector<param_spec>& specs);

} // namespace lagom
