// lagom: the public C++ API of the runtime, for drivers and embedding hosts.
#pragma once

#include "lagom/cluster.hpp"
#include "lagom/experiment.hpp"
#include "lagom/feature_store.hpp"
#include "lagom/status.hpp"
#include "lagom/train.hpp"
#include "lagom/values.hpp"
