// `clicktrail tail`: the events arriving in Kafka or in the embedded log, decoded, one line each,
// as they come: read → decode and filter → write, until SIGINT/SIGTERM or a closed stdout.
//
// It only reads: from Kafka without a consumer group and without commits (kafka/reader.h), from
// the embedded log without opening it as a log (wal/follower.h), so a running sink or
// `clicktrail run` goes on undisturbed. Lines go out with one write(2) per batch as soon as they
// are read, never held in a buffer, so `| grep` sees each at once. A closed stdout (`| head`)
// ends it with exit 0.

#include <errno.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include "app/commands.h"
#include "app/signals.h"
#include "app/startup.h"
#include "app/tail_printer.h"
#include "app/tail_source.h"
#include "base/log.h"

namespace clicktrail::app {
namespace {

using namespace std::chrono_literals;

// Records per read, and how long a read waits for the first: the longest a stop signal or a
// closed stdout waits to be noticed while nothing arrives.
constexpr std::size_t batch_records = 512;
constexpr auto poll_wait = 200ms;

// Without [kafka], tail follows the embedded log of `clicktrail run`, which creates it.
std::optional<std::string> needs_a_log(const config::config& c, bool bad) {
  if (c.kafka) return std::nullopt;
  const std::string dir = embedded_log_dir(c, bad);
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return fmt::format(
      "clicktrail tail: there is no embedded log in {} (wal.dir = {}). Without a [kafka] section tail "
      "follows the log of a `clicktrail run` that uses the same wal.dir, and run creates it when it first "
      "starts: start it first, or point wal.dir at its log — `clicktrail run --data DIR` keeps it in "
      "DIR/_clicktrail/wal; set [wal] dir or CLICKTRAIL_WAL_DIR. To tail Kafka, add a [kafka] section "
      "with its brokers",
      dir, c.wal.dir);
}

enum class written { ok, closed, failed };

// Every byte of `bytes` to `fd`, through short writes, EINTR and a non-blocking descriptor.
written write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      (void)::poll(&p, 1, 100);
      continue;
    }
    return errno == EPIPE || errno == EBADF ? written::closed : written::failed;
  }
  return written::ok;
}

// Whether the reader of a pipe on stdout has gone, so that `| head` ends tail also while no
// record arrives. (A terminal or a file never reports it.)
bool stdout_closed() {
  pollfd p{STDOUT_FILENO, 0, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLNVAL)) != 0;
}

}  // namespace

int tail(const config::load_options& sources, const tail_options& options) {
  if (options.bad && !options.types.empty()) {
    fmt::print(stderr,
               "clicktrail tail: --type filters events; rejected input (--bad) has no type. Use --site "
               "with --bad, or leave --bad out\n");
    return exit_bad_config;
  }
  const auto cfg =
      start_up(sources, "tail", [&](const config::config& c) { return needs_a_log(c, options.bad); });
  if (!cfg) return exit_bad_config;
  auto& log = base::logger_for("tail");
  // A closed stdout then shows as EPIPE from write(2) instead of killing the process.
  std::signal(SIGPIPE, SIG_IGN);

  auto source = open_tail_source(*cfg, options.bad, options.from_beginning);
  if (!source) {
    fmt::print(stderr, "clicktrail tail: {}\n", source.err().message);
    return source.err().retriable() ? exit_failure : exit_bad_config;
  }
  log.info("following {}{}; stop with Ctrl-C", (*source)->describe(), options.bad ? " (rejected input)" : "");

  tail_printer printer(options);
  std::string out, notes;
  for (;;) {
    auto records = (*source)->poll(batch_records, poll_wait);
    if (!records) {
      log.error("stopped: {}", records.err().message);
      return exit_failure;
    }
    out.clear();
    notes.clear();
    for (const auto& r : *records) printer.add(r, out, notes);
    if (!notes.empty()) (void)write_all(STDERR_FILENO, notes);
    const written w =
        out.empty() ? (stdout_closed() ? written::closed : written::ok) : write_all(STDOUT_FILENO, out);
    if (w == written::closed) return exit_ok;
    if (w == written::failed) {
      log.error("cannot write to stdout: {}", std::strerror(errno));
      return exit_failure;
    }
    if (const int signal = wait_for_stop_signal(0ms); signal != 0) {
      log.info("stopped signal={}", strsignal(signal));
      return exit_ok;
    }
  }
}

}  // namespace clicktrail::app
