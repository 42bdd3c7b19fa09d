// feature_frames: conversions between the feature store's values
// (storage/feature_frame.hpp, feature_store.hpp, feature_query.hpp) and the
// structs of schemas/feature_store.capnp, for feature_store_shard,
// feature_store_router and their clients.
//
// Rows travel column by column, each column as a storage column chunk
// (storage/feature_chunk.hpp), so a frame holds the same bytes a shard
// stores. Everything read from a frame is checked: a type or write-mode
// number the schema does not know, a chunk that does not decode or whose
// type and width differ from its column's, columns of different lengths ->
// invalid_argument (or io_error from the chunk decoder) naming the field
// ("rows.columns[2]", "mode", ...). Names are checked later by storage.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "lagom/status.hpp"
#include "schemas/feature_store.capnp.h"
#include "storage/feature_frame.hpp"
#include "storage/feature_query.hpp"
#include "storage/feature_store.hpp"
#include "storage/training_dataset.hpp"

namespace lagom::actors::frames {

void to_wire(schema::FeatureSchema::Builder b, const storage::feature_schema& s);
status from_wire(schema::FeatureSchema::Reader r, storage::feature_schema* out);

void to_wire(schema::FeatureRows::Builder b, const storage::feature_frame& f);
status from_wire(schema::FeatureRows::Reader r, storage::feature_frame* out);

void to_wire(schema::FeatureVersion::Builder b, const storage::version_info& v,
             uint32_t shard = 0);
status from_wire(schema::FeatureVersion::Reader r, storage::version_info* out);

void to_wire(schema::FeatureKey::Builder b, const storage::key_value& k);
storage::key_value from_wire(schema::FeatureKey::Reader r);

void to_wire(schema::FeatureQuery::Builder b, const storage::feature_query& q);
status from_wire(schema::FeatureQuery::Reader r, storage::feature_query* out);

void to_wire(schema::FeatureCatalog::Builder b, const storage::feature_catalog& c);
status from_wire(schema::FeatureCatalog::Reader r, storage::feature_catalog* out);

void to_wire(schema::TrainingDatasetCreate::Builder b, const storage::training_dataset_spec& s);
status from_wire(schema::TrainingDatasetCreate::Reader r, storage::training_dataset_spec* out);

void to_wire(schema::TrainingDatasetInfo::Builder b, const storage::training_dataset_info& d);
status from_wire(schema::TrainingDatasetInfo::Reader r, storage::training_dataset_info* out);

/// A write mode number from a frame; invalid_argument naming "mode" when unknown.
status mode_from_wire(uint8_t v, storage::write_mode* out);

} // namespace lagom::actors::frames
