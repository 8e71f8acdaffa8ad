#include "sink/partition_claim.h"

#include <fmt/format.h>

#include "base/log.h"
#include "base/uuid.h"
#include "format/file_writer.h"

namespace clicktrail::sink {
namespace {

// Taking over reads and swaps the intent; another writer changing it in between makes it read
// again. Only owners racing without end (two sinks in different groups on one output) exhaust
// this.
constexpr int max_takeover_attempts = 8;

spdlog::logger& sink_log() { return base::logger_for("sink"); }

base::error offsets_went_back(const partition_claim::takeover& t, const intent& previous, const std::string& key,
                              const std::string& store) {
  return base::error::fail(fmt::format(
      "partition {} of {}: reading would resume at offset {}{}, but {} already holds this partition's records up "
      "to offset {} (intent {}, generation {}): the topic was deleted and created again, or the consumer group's "
      "committed offsets expired (offsets.retention.minutes) or were reset. Nothing was written. If the records "
      "below {} are still in the topic and already stored, commit that offset for the sink's group "
      "(kafka-consumer-groups.sh --bootstrap-server BROKERS --group GROUP --topic {}:{} --reset-offsets "
      "--to-offset {} --execute) and start again. If they are new records (a topic created again), start once "
      "with --accept-offset-reset: they go to new keys (generation {}) and nothing stored is overwritten",
      t.partition, t.source_name, t.committed.value_or(0), t.committed ? "" : " (none committed)", store,
      previous.committed, key, previous.generation, previous.committed, t.source_name, t.partition,
      previous.committed, previous.generation + 1));
}

}  // namespace

base::result<partition_claim> partition_claim::take(store::object_store& store, const takeover& t,
                                                    std::int64_t& retired) {
  const std::string key = intent_key(t.source_name, t.partition);
  const std::int64_t committed = t.committed.value_or(0);
  const std::string writer = base::make_uuid_v7().to_string();
  for (int attempt = 1; attempt <= max_takeover_attempts; ++attempt) {
    auto current = store.read(key);
    if (!current) return std::move(current).err();
    intent previous;
    if (*current) {
      auto decoded = decode_intent((*current)->bytes);
      if (!decoded) {
        return base::error::fail(fmt::format(
            "the intent object {} in {} is damaged: {}; it is the sink's own record of files in flight, so no "
            "one should edit it — restore it from a backup or the bucket's versions",
            key, store.describe(), decoded.err().message));
      }
      previous = std::move(*decoded);
    }
    const bool reset = committed < previous.committed;
    if (reset && !t.accept_offset_reset) return offsets_went_back(t, previous, key, store.describe());

    intent next{.generation = previous.generation + 1, .committed = committed, .writer = writer, .sequence = 1, .files = {}};
    // Files at or above where reading resumes were never committed: leftovers of an owner that
    // crashed or stalled. (After an accepted reset, those below the old high-water mark were.)
    const std::int64_t leftover_from = reset ? previous.committed : committed;
    for (const auto& f : previous.files) {
      const auto start = start_offset_of(f);
      if (!start) {
        sink_log().warn("the intent object lists a key that is not a file of the sink; ignoring it intent={} key={}",
                        key, f);
      } else if (*start >= leftover_from) {
        next.files.push_back(f);
      }
    }
    auto swapped = store.put_if(key, encode_intent(next),
                                *current ? std::optional((*current)->version) : std::nullopt);
    if (!swapped) return std::move(swapped).err();
    if (!*swapped) continue;  // another writer changed it since we read it: read again

    // The intent now names this generation; no earlier owner can list a new file. What they
    // listed is retired: a publish still on its way fails, and what was published holds nothing.
    for (const auto& f : next.files) {
      base::status s;
      if (reset) {
        // The topic those files came from is gone or rewound: a published one may be the only
        // copy of its records, so only the parts of unfinished uploads go.
        s = store.remove_unfinished(f);
      } else if (const auto empty = format::empty_file(extension_of(f))) {
        s = store.retire(f, *empty);
      } else {
        s = base::error::fail(fmt::format("the intent object {} lists {}, whose extension is no output format of "
                                          "the sink; it cannot be retired safely — remove the line by hand",
                                          key, f));
      }
      if (!s) return std::move(s).err();
    }
    retired = reset ? 0 : static_cast<std::int64_t>(next.files.size());
    if (reset) {
      sink_log().warn(
          "offset reset accepted partition={} source={} resume_at={} previous_high_water={} generation={}",
          t.partition, t.source_name, committed, previous.committed, next.generation);
    }
    return partition_claim(store, key, std::move(**swapped), std::move(next));
  }
  return base::error::retry(fmt::format(
      "partition {} of {}: its intent object {} changed {} times while this sink took the partition over: another "
      "sink keeps writing it — two sinks with different sink.group_id writing the same topic to the same output?",
      t.partition, t.source_name, key, max_takeover_attempts));
}

base::status partition_claim::record(std::vector<std::string> files, std::int64_t committed) {
  intent next = last_;
  next.files = std::move(files);
  next.committed = committed;
  ++next.sequence;
  auto swapped = store_->put_if(key_, encode_intent(next), version_);
  if (!swapped) return std::move(swapped).err();
  if (!*swapped) {
    return base::error::conflict(fmt::format(
        "the intent object {} was replaced by another owner: the partition was taken over (generation {} is over)",
        key_, last_.generation));
  }
  version_ = std::move(**swapped);
  last_ = std::move(next);
  return base::ok_v;
}

}  // namespace clicktrail::sink
