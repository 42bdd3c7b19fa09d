// Conversions between Cap'n Proto readers/builders and lagom's plain values.
#pragma once

#include "lagom/status.hpp"
#include "lagom/train.hpp"
#include "scheduling/ledger.hpp"
#include "lagom/values.hpp"
#include "schemas/cluster.capnp.h"

namespace lagom::wire {

/// Fills `out`, already initialised to in.size() entries.
void to_wire(capnp::List<schema::KeyValue>::Builder out, const named_values& in);
named_values from_wire(capnp::List<schema::KeyValue>::Reader in);

void to_wire(schema::Error::Builder out, const status& in);

/// A granted container (what the ledger holds) and its wire form.
void to_wire(schema::Container::Builder out, const scheduling::container& in);
scheduling::container from_wire(schema::Container::Reader in);

/// A function's name and hyperparameter spec (not the function itself).
void to_wire(schema::FunctionSpec::Builder out, const train_fn_registration& in);
train_fn_registration from_wire(schema::FunctionSpec::Reader in);
status from_wire(schema::Error::Reader in);

} // namespace lagom::wire
