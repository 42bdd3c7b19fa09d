// lagom::check_params: the hyperparameter spec of a train function.
#include <catch2/catch.hpp>

#include "lagom/params.hpp"

using namespace lagom;

namespace {

std::vector<param_spec> cnn_spec() {
  return {param_spec::real("lr", 0.001, 1e-6, 1.0, "learning rate"),
          param_spec::integer("epochs", 2, 1, 100),
          param_spec::one_of("optimizer", "adam", {"adam", "sgd"}),
          param_spec::text("data", "/usr/share/datasets/fashion-mnist")};
}

} // namespace

TEST_CASE("missing hyperparameters take their defaults", "[params]") {
  named_values p;
  p.set("lr", 0.01);
  REQUIRE(check_params("cnn", cnn_spec(), p).is_ok());
  CHECK(p.number("lr", 0) == 0.01);
  CHECK(p.number("epochs", 0) == 2);
  CHECK(p.text("optimizer", "") == "adam");
  CHECK(p.text("data", "") == "/usr/share/datasets/fashion-mnist");
}

TEST_CASE("each kind of bad value is named with the function and key", "[params]") {
  struct bad {
    const char* key;
    value v;
    const char* message;
  };
  auto c = GENERATE(bad{"lr", std::string("fast"), "must be a number, got 'fast'"},
                    bad{"lr", 2.0, "must be within [1e-06, 1], got 2"},
                    bad{"epochs", 1.5, "must be an integer, got 1.5"},
                    bad{"epochs", 0.0, "must be within [1, 100], got 0"},
                    bad{"optimizer", std::string("rmsprop"),
                        "must be one of adam, sgd, got 'rmsprop'"},
                    bad{"data", 3.0, "must be a text, got 3"});
  named_values p;
  p.set(c.key, c.v);
  auto st = check_params("cnn", cnn_spec(), p);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == std::string("cnn: ") + c.key);
  CHECK(st.message() == c.message);
}

TEST_CASE("an unknown hyperparameter is named with a suggestion and the known ones",
          "[params]") {
  named_values p;
  p.set("epoch", 3.0);
  auto st = check_params("cnn", cnn_spec(), p);
  CHECK(st.where() == "cnn: epoch");
  CHECK(st.message()
        == "unknown hyperparameter; did you mean 'epochs'? (cnn takes: lr, epochs, optimizer, "
           "data)");
}

TEST_CASE("a non-finite number is refused", "[params]") {
  named_values p;
  p.set("lr", std::numeric_limits<double>::quiet_NaN());
  CHECK(check_params("cnn", cnn_spec(), p).message() == "must be finite, got nan");
}
