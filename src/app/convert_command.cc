// `clicktrail convert IN OUT`: stored events as JSON Lines (the sink's JSON output, gzip or not)
// into Parquet or JSON Lines — to move older JSON output to Parquet, or to write a file with
// chosen options by hand.

#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "app/commands.h"
#include "app/input_files.h"
#include "event/encode.h"
#include "format/file_writer.h"

namespace clicktrail::app {
namespace {

struct file_closer {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

int convert(const convert_options& o) {
  const gz_file in(gzopen(o.input.c_str(), "rb"));
  if (!in) {
    fmt::print(stderr, "cannot read {}: {}\n", o.input, std::strerror(errno));
    return exit_failure;
  }
  const std::string temp = o.output + ".tmp";
  std::unique_ptr<std::FILE, file_closer> out(std::fopen(temp.c_str(), "wb"));
  if (!out) {
    fmt::print(stderr, "cannot write {}: {}\n", temp, std::strerror(errno));
    return exit_failure;
  }
  auto writer = format::make_writer(o.writer, [&](std::string_view bytes) -> base::status {
    if (std::fwrite(bytes.data(), 1, bytes.size(), out.get()) != bytes.size()) {
      return base::error::fail(fmt::format("cannot write {}: {}", temp, std::strerror(errno)));
    }
    return {};
  });

  std::size_t line_number = 0;
  std::optional<std::string> failure;
  const bool read = for_each_line(in.get(), [&](std::string_view line) {
    ++line_number;
    if (line.empty()) return true;
    auto e = event::decode_stored(line);
    if (!e) {
      failure = fmt::format("{}:{}: {}", o.input, line_number, e.err().message);
      return false;
    }
    if (auto s = writer->append(*e, line); !s) {
      failure = s.err().message;
      return false;
    }
    return true;
  });
  if (!read) failure = fmt::format("cannot read {}: not gzip or plain text, or truncated", o.input);
  if (!failure) {
    if (auto s = writer->finish({{"clicktrail.converted_from", o.input}}); !s) failure = s.err().message;
  }
  if (!failure && std::fflush(out.get()) != 0)
    failure = fmt::format("cannot write {}: {}", temp, std::strerror(errno));
  out.reset();
  if (!failure && std::rename(temp.c_str(), o.output.c_str()) != 0) {
    failure = fmt::format("cannot rename {} to {}: {}", temp, o.output, std::strerror(errno));
  }
  if (failure) {
    std::remove(temp.c_str());
    fmt::print(stderr, "{}\nnothing was written to {}\n", *failure, o.output);
    return exit_failure;
  }
  fmt::print(stderr, "{}: {} events\n", o.output, writer->records());
  return exit_ok;
}

}  // namespace clicktrail::app
