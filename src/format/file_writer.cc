#include "format/file_writer.h"

#include "format/jsonl/jsonl_writer.h"
#include "format/parquet/parquet_writer.h"

namespace clicktrail::format {

std::unique_ptr<file_writer> make_writer(const writer_options& options, write_fn out) {
  switch (options.format) {
    case config::output_format::jsonl:
      return make_jsonl_writer(options.codec == config::compression::gzip, std::move(out),
                               effective_level(options.codec, options.compression_level));
    case config::output_format::parquet:
      return std::make_unique<parquet::parquet_writer>(options, std::move(out));
  }
  return nullptr;
}

int effective_level(config::compression codec, int configured) noexcept {
  if (configured != 0) return configured;
  switch (codec) {
    case config::compression::zstd:
      return 1;
    case config::compression::gzip:
      return 6;
    case config::compression::snappy:
    case config::compression::none:
      break;
  }
  return 0;
}

const char* file_extension(config::output_format format, config::compression codec) {
  if (format == config::output_format::parquet) return "parquet";
  return codec == config::compression::gzip ? "jsonl.gz" : "jsonl";
}

std::optional<std::string> empty_file(std::string_view extension) {
  writer_options options;
  if (extension == "parquet") {
    options.format = config::output_format::parquet;
  } else if (extension == "jsonl.gz" || extension == "jsonl") {
    options.format = config::output_format::jsonl;
    options.codec = extension == "jsonl" ? config::compression::none : config::compression::gzip;
  } else {
    return std::nullopt;
  }
  std::string bytes;
  auto writer = make_writer(options, [&bytes](std::string_view b) {
    bytes.append(b);
    return base::status{};
  });
  if (!writer->finish({})) return std::nullopt;  // writing to memory cannot fail
  return bytes;
}

}  // namespace clicktrail::format
