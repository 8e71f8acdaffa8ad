// The lanes (lanes.h): every task runs once, tasks really run side by side, one lane never runs
// two at once, a task's exception reaches the caller; and a sink on four lanes writes every
// record of four partitions exactly once, repeats and bad records included (under TSan in
// `./dev test`, which is where a race between lanes would show).
#include "sink/lanes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "sink/sink.h"
#include "sink/tests/memory_group.h"
#include "store/local_store.h"
#include "store/tests/s3_test_support.h"

namespace clicktrail::sink {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(lanes, every_task_runs_once_on_a_lane_that_runs_one_task_at_a_time) {
  lanes pool(3);
  ASSERT_EQ(pool.count(), 3u);
  std::vector<std::atomic<int>> runs(200);
  std::vector<std::atomic<bool>> busy(pool.count());
  std::atomic<int> overlaps{0};
  for (int round = 0; round < 20; ++round) {
    pool.run(runs.size(), [&](std::size_t t, std::size_t lane) {
      if (busy.at(lane).exchange(true)) ++overlaps;
      runs[t].fetch_add(1);
      busy[lane] = false;
    });
  }
  for (std::size_t t = 0; t < runs.size(); ++t) EXPECT_EQ(runs[t].load(), 20) << "task " << t;
  EXPECT_EQ(overlaps.load(), 0);
}

TEST(lanes, tasks_run_side_by_side) {
  // Each task waits until both have begun: run one after the other, the first would wait in vain.
  lanes pool(2);
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

TEST(lanes, one_lane_runs_everything_on_the_calling_thread) {
  lanes pool(1);
  const auto caller = std::this_thread::get_id();
  int ran = 0;
  pool.run(5, [&](std::size_t, std::size_t lane) {
    EXPECT_EQ(lane, 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++ran;
  });
  EXPECT_EQ(ran, 5);
}

TEST(lanes, a_task_that_throws_fails_the_run_and_leaves_the_lanes_usable) {
  lanes pool(2);
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

// The event number in a JSON line written by the sink (stored_event's event_id).
std::int64_t number_in(const std::string& line) {
  const auto at = line.find("8000-");
  return at == std::string::npos ? -1 : std::stoll(line.substr(at + 5, 12), nullptr, 16);
}

TEST(lanes, a_sink_on_four_lanes_writes_every_record_of_four_partitions_once) {
  constexpr int partitions = 4;
  constexpr std::int64_t per_partition = 3000;
  constexpr std::int64_t base_ts = 1'795'600'800'000;
  base::registry metrics;
  const fs::path dir = fs::temp_directory_path() / ("clicktrail-lanes-" + std::to_string(::getpid()));
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
  options.format = config::output_format::jsonl;
  options.codec = config::compression::none;
  options.max_records = 700;  // files close mid-batch, on the lanes
  options.threads = 4;
  test::memory_group::member source(group, 1, "clicktrail.events");
  sink s(source, **store, options, metrics);
  source.attach(s);
  ASSERT_TRUE(s.run(sink::mode::until_caught_up));

  std::vector<std::int64_t> events;
  auto objects = (*store)->list("events/");
  ASSERT_TRUE(objects) << objects.err().message;
  for (const auto& o : *objects) {
    const std::string bytes = **(*store)->get(o.key);
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
