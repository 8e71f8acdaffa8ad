#pragma once
// The one place where the kind of object store is chosen (STYLE.md rule 5): sink.output decides
// between a local directory and an S3 bucket; [s3] configures the latter.

#include <memory>

#include "base/metrics.h"
#include "base/result.h"
#include "config/config.h"
#include "store/object_store.h"

namespace clicktrail::store {

// Called once at start-up, before threads start (it copies the process environment for the
// credential chain: AWS_* variables, and AWS_CA_BUNDLE for a private CA). Makes no S3 request;
// creates the local directory when missing.
base::result<std::unique_ptr<object_store>> open_store(const config::output_location& where,
                                                       const config::s3_config& s3, base::registry& metrics);

}  // namespace clicktrail::store
