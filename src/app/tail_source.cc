#include "app/tail_source.h"

#include <fmt/format.h>

#include <thread>

#include "kafka/reader.h"
#include "wal/follower.h"

namespace clicktrail::app {
namespace {

using namespace std::chrono_literals;

// How long the brokers have to say which partitions the topic has and where they end.
constexpr auto kafka_open_timeout = 10s;
// The embedded log tells no one of an append: the follower looks this often while it is quiet.
constexpr auto embedded_log_interval = 50ms;

class kafka_tail final : public tail_source {
 public:
  kafka_tail(std::unique_ptr<kafka::reader> reader, std::string topic, std::string brokers,
             bool from_beginning)
      : reader_(std::move(reader)),
        topic_(std::move(topic)),
        brokers_(std::move(brokers)),
        from_beginning_(from_beginning) {}

  base::result<std::vector<tail_record>> poll(std::size_t max, std::chrono::milliseconds wait) override {
    auto records = reader_->poll(max, wait);
    if (!records) return std::move(records).err();
    std::vector<tail_record> out;
    out.reserve(records->size());
    for (const auto& r : *records) {
      const auto value = r->value();
      out.push_back({r->partition(), r->offset(), value ? std::optional<std::string>(*value) : std::nullopt});
    }
    return out;
  }

  std::string describe() const override {
    std::string where;
    for (const auto& [p, offset] : reader_->starts())
      where += fmt::format("{}{}@{}", where.empty() ? "" : ",", p, offset);
    return fmt::format("Kafka topic \"{}\" on {}, every partition from its {} (partition@offset: {})", topic_,
                       brokers_, from_beginning_ ? "start" : "end", where);
  }

 private:
  std::unique_ptr<kafka::reader> reader_;
  const std::string topic_, brokers_;
  const bool from_beginning_;
};

class embedded_tail final : public tail_source {
 public:
  embedded_tail(std::unique_ptr<wal::follower> follower, bool from_beginning)
      : follower_(std::move(follower)), from_beginning_(from_beginning) {}

  base::result<std::vector<tail_record>> poll(std::size_t max, std::chrono::milliseconds wait) override {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      auto records = follower_->poll(max);
      if (!records) return std::move(records).err();
      const auto left = deadline - std::chrono::steady_clock::now();
      if (!records->empty() || left <= 0ms) {
        std::vector<tail_record> out;
        out.reserve(records->size());
        for (auto& r : *records) out.push_back({0, r.offset, std::move(r.value)});
        return out;
      }
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, embedded_log_interval));
    }
  }

  std::string describe() const override {
    return fmt::format("the embedded log in {} from {} (offset {})", follower_->dir(),
                       from_beginning_ ? "its first record kept" : "its end", follower_->next_offset());
  }

 private:
  std::unique_ptr<wal::follower> follower_;
  const bool from_beginning_;
};

}  // namespace

std::string embedded_log_dir(const config::config& c, bool bad) {
  return c.wal.dir + (bad ? "/bad" : "/events");
}

base::result<std::unique_ptr<tail_source>> open_tail_source(const config::config& c, bool bad,
                                                            bool from_beginning) {
  if (c.kafka) {
    const std::string& topic = bad ? c.kafka->bad_topic : c.kafka->topic;
    auto reader = kafka::reader::open(
        {c.kafka->brokers, topic, c.kafka->consumer},
        from_beginning ? kafka::reader::start::beginning : kafka::reader::start::end, kafka_open_timeout);
    if (!reader) return std::move(reader).err();
    return std::unique_ptr<tail_source>(
        std::make_unique<kafka_tail>(std::move(reader).value(), topic, c.kafka->brokers, from_beginning));
  }
  auto follower = wal::follower::open(
      embedded_log_dir(c, bad), from_beginning ? wal::follower::start::beginning : wal::follower::start::end);
  if (!follower) return std::move(follower).err();
  return std::unique_ptr<tail_source>(
      std::make_unique<embedded_tail>(std::move(follower).value(), from_beginning));
}

}  // namespace clicktrail::app
