// The workers (workers.h): every task runs once, tasks really run side by side, one worker never runs
// two at once, a task's exception reaches the caller; and a sink on four workers writes every
// record of four partitions exactly once, repeats and bad records included (under TSan in
// `./dev test`, which is where a race between workers would show).
#include "sink/workers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "format/parquet/event_reader.h"
#include "sink/sink.h"
#include "sink/tests/memory_group.h"
#include "store/local_store.h"
#include "store/tests/s3_test_support.h"

namespace clicktrail::sink {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(workers, every_task_runs_once_on_a_worker_that_runs_one_task_at_a_time) {
  workers pool(3);
  ASSERT_EQ(pool.count(), 3u);
  std::vector<std::atomic<int>> runs(200);
  std::vector<std::atomic<bool>> busy(pool.count());
  std::atomic<int> overlaps{0};
  for (int round = 0; round < 20; ++round) {
    pool.run(runs.size(), [&](std::size_t t, std::size_t worker) {
      if (busy.at(worker).exchange(true)) ++overlaps;
      runs[t].fetch_add(1);
      busy[worker] = false;
    });
  }
  for (std::size_t t = 0; t < runs.size(); ++t) EXPECT_EQ(runs[t].load(), 20) << "task " << t;
  EXPECT_EQ(overlaps.load(), 0);
}

TEST(workers, tasks_run_side_by_side) {
  // Each task waits until both have begun: run one after the other, the first would wait in vain.
  workers pool(2);
  std::atomic<int> begun{0};
  std::atomic<bool> met[2] = {false, false};
  std::thread::id threads[2];
  pool.run(2, [&](std::size_t t, std::size_t) {
    threads[t] = std::this_thread::get_id();
    ++begun;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (begun.load() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    met[t] = begun.load() == 2;
  });
  EXPECT_TRUE(met[0] && met[1]) << "the two tasks never ran at the same time";
  EXPECT_NE(threads[0], threads[1]);
}

TEST(workers, one_worker_runs_everything_on_the_calling_thread) {
  workers pool(1);
  const auto caller = std::this_thread::get_id();
  int ran = 0;
  pool.run(5, [&](std::size_t, std::size_t worker) {
    EXPECT_EQ(worker, 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++ran;
  });
  EXPECT_EQ(ran, 5);
}

TEST(workers, a_task_that_throws_fails_the_run_and_leaves_the_workers_usable) {
  workers pool(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(pool.run(10,
                        [&](std::size_t t, std::size_t) {
                          ++ran;
                          if (t == 3) throw std::runtime_error("task 3");
                        }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 10) << "the other tasks still ran";
  ran = 0;
  pool.run(4, [&](std::size_t, std::size_t) { ++ran; });
  EXPECT_EQ(ran.load(), 4);
}

// The event number in a JSON line or an event_id written by the sink (stored_event's event_id).
std::int64_t number_in(const std::string& line) {
  const auto at = line.find("8000-");
  return at == std::string::npos ? -1 : std::stoll(line.substr(at + 5, 12), nullptr, 16);
}

// JSON Lines, and Parquet zstd (each worker with its own encoder and compressor).
class sink_on_workers : public ::testing::TestWithParam<config::output_format> {};
INSTANTIATE_TEST_SUITE_P(formats, sink_on_workers,
                         ::testing::Values(config::output_format::jsonl, config::output_format::parquet),
                         [](const auto& param) {
                           return param.param == config::output_format::jsonl ? "jsonl" : "parquet";
                         });

TEST_P(sink_on_workers, writes_every_record_of_four_partitions_once) {
  constexpr int partitions = 4;
  constexpr std::int64_t per_partition = 3000;
  constexpr std::int64_t base_ts = 1'795'600'800'000;
  base::registry metrics;
  const fs::path dir =
      fs::temp_directory_path() / ("clicktrail-workers-" + std::to_string(::getpid()) + "-" +
                                   (GetParam() == config::output_format::jsonl ? "jsonl" : "parquet"));
  fs::remove_all(dir);
  auto store = store::local_store::open(dir.string(), metrics);
  ASSERT_TRUE(store) << store.err().message;

  test::memory_group group(partitions);
  for (std::int32_t p = 0; p < partitions; ++p) {
    group.assign(p, 1);
    for (std::int64_t i = 0; i < per_partition; ++i) {
      const std::int64_t n = p * per_partition + i;
      group.append(p, test::stored_event(n, base_ts + (i % 3) * 3'600'000));
      if (i % 500 == 0) group.append(p, test::stored_event(n, base_ts));  // a tracker's resend
    }
    group.append(p, "not an event");
  }
  sink_options options;
  options.format = GetParam();
  options.codec =
      GetParam() == config::output_format::jsonl ? config::compression::none : config::compression::zstd;
  options.max_records = 700;  // files close mid-batch, on the workers
  options.threads = 4;
  test::memory_group::member source(group, 1, "clicktrail.events");
  sink s(source, **store, options, metrics);
  source.attach(s);
  ASSERT_TRUE(s.run(sink::mode::until_caught_up));

  std::vector<std::int64_t> events;
  auto objects = (*store)->list("events/");
  ASSERT_TRUE(objects) << objects.err().message;
  for (const auto& o : *objects) {
    std::string bytes = **(*store)->get(o.key);
    if (GetParam() == config::output_format::parquet) {
      auto file = format::parquet::event_reader::open(std::move(bytes), o.key);
      ASSERT_TRUE(file) << file.err().message;
      ASSERT_TRUE(file->for_each([&](const event::event& e) {
        events.push_back(number_in(e.event_id));
        return base::status{};
      }));
      continue;
    }
    for (std::size_t at = 0; at < bytes.size();) {
      const auto nl = bytes.find('\n', at);
      ASSERT_NE(nl, std::string::npos) << o.key << " does not end with a line break";
      events.push_back(number_in(bytes.substr(at, nl - at)));
      at = nl + 1;
    }
  }
  std::sort(events.begin(), events.end());
  std::vector<std::int64_t> expected(partitions * per_partition);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(events, expected) << "every event once: none lost, no repeat written";
  EXPECT_EQ(store::test::metric(metrics, R"(clicktrail_sink_bad_records_total{reason="invalid_record"})"),
            static_cast<std::uint64_t>(partitions));
  EXPECT_EQ(store::test::metric(metrics, "clicktrail_sink_repeated_events_total"),
            static_cast<std::uint64_t>(partitions * (per_partition / 500)));
  for (std::int32_t p = 0; p < partitions; ++p) {
    EXPECT_EQ(group.committed(p), per_partition + per_partition / 500 + 1) << "partition " << p;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace clicktrail::sink
