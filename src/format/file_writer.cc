#include "format/file_writer.h"

#include "format/jsonl/jsonl_writer.h"

namespace clicktrail::format {

std::unique_ptr<file_writer> make_writer(config::output_format format, config::compression codec, write_fn out) {
  switch (format) {
    case config::output_format::jsonl: return make_jsonl_writer(codec == config::compression::gzip, std::move(out));
    case config::output_format::parquet: return nullptr;  // the Parquet writer arrives with its issue
  }
  return nullptr;
}

const char* file_extension(config::output_format format, config::compression codec) {
  if (format == config::output_format::parquet) return "parquet";
  return codec == config::compression::gzip ? "jsonl.gz" : "jsonl";
}

}  // namespace clicktrail::format
