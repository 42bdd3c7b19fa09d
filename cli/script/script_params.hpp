// script::expand_params: a script's parameters, so one script serves a full
// and a reduced run (the workshop's CI run) without a second copy.
//
// A script declares each parameter once, with its default:
//   param epochs=5 train_limit=0 images=idx:/usr/share/datasets/fashion-mnist
// and uses it anywhere after a `$`:
//   all_reduce fashion_mnist_cnn workers=2 epochs=$epochs
// `lagom run FILE NAME=VALUE ...` overrides defaults. A value is what may
// follow `key=` in a statement: one token, or tokens written without spaces
// (idx:DIR:t10k), or a "string". `$NAME` is replaced by the value's tokens,
// placed at the `$`'s line and column, before any command is checked, so a
// command sees a substituted value as if it had been written there (and a
// bad value is reported at the `$NAME` that brought it).
//
// Errors (errc::invalid_argument): at the script's `source:line:col` for a
// `param` statement that is malformed, a parameter declared twice, a value
// holding `$`, and `$NAME` of an undeclared parameter ("did you mean");
// at "argument 'NAME=VALUE'" for an override that is not NAME=VALUE, names
// no declared parameter, or whose value does not lex as one.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cli/script/parser.hpp"
#include "lagom/status.hpp"

namespace lagom::script {

/// One declared parameter and the value in effect (as text).
struct script_param {
  std::string name;
  std::string value;
  bool overridden = false;
  location loc;  ///< where it is declared
};

/// Removes the `param` statements from `statements` and replaces every
/// `$NAME` token of the others by its value; `overrides` are "NAME=VALUE"
/// texts. `params`, when given, receives every parameter in declaration
/// order. On error `statements` may be partly substituted.
status expand_params(std::vector<statement>& statements, const std::vector<std::string>& overrides,
                     std::vector<script_param>* params = nullptr);

} // namespace lagom::script
