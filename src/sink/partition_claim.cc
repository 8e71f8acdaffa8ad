#include "sink/partition_claim.h"

#include <fmt/format.h>

#include "base/log.h"
#include "base/uuid.h"
#include "format/file_writer.h"

namespace clicktrail::sink {
namespace {

spdlog::logger& sink_log() {
  return base::logger_for("sink");
}

base::error offset_lost(const partition_claim::takeover& t, const intent& previous, const std::string& key,
                        const std::string& store) {
  return base::error::fail(fmt::format(
      "partition {} of {}: there is no committed offset for it, but {} already holds its records up to "
      "offset {} "
      "(intent {}, generation {}): the consumer group's offsets expired (offsets.retention.minutes), or the "
      "topic "
      "(or the embedded log) was deleted and created again. Nothing was written. If it is the same topic, "
      "{}, and "
      "start again. If it is a new one, start once with --accept-offset-reset: its records go to new keys "
      "(generation {}) and nothing stored is overwritten",
      t.partition, t.source_name, store, previous.committed, key, previous.generation,
      t.how_to_commit ? t.how_to_commit(previous.committed)
                      : fmt::format("commit offset {} for the source", previous.committed),
      previous.generation + 1));
}

// Where reading resumes, from the intent (what the sink wrote) and the group's offset (which
// follows the intent by up to one commit); an error when neither can be trusted.
base::result<std::int64_t> resume_point(const partition_claim::takeover& t, const intent& previous,
                                        const std::string& key, const std::string& store) {
  std::optional<std::int64_t> committed = t.committed;
  if (!committed && previous.committed > 0 && !t.accept_offset_reset) {
    // The offset we were given may be older than the intent we just read (a sink that stalled
    // while taking the partition over): ask the group again before calling it lost.
    if (t.ask_group) {
      auto now = t.ask_group();
      if (!now) return std::move(now).err();
      committed = *now;
    }
    if (!committed) return offset_lost(t, previous, key, store);
  }
  const std::int64_t group = committed.value_or(0);
  if (t.accept_offset_reset || group >= previous.committed) return group;
  sink_log().info(
      "resuming where the intent says the sink committed; the group's offset had not caught up partition={} "
      "source={} group_offset={} resume_at={}",
      t.partition, t.source_name, group, previous.committed);
  return previous.committed;
}

}  // namespace

base::result<partition_claim> partition_claim::take(store::object_store& store, const takeover& t,
                                                    std::int64_t& retired) {
  const std::string key = intent_key(t.source_name, t.partition);
  const std::string writer = base::make_uuid_v7().to_string();
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
  auto resume = resume_point(t, previous, key, store.describe());
  if (!resume) return std::move(resume).err();
  const bool reset = *resume < previous.committed;

  intent next{.generation = previous.generation + 1,
              .committed = *resume,
              .writer = writer,
              .sequence = 1,
              .files = {}};
  // The files listed were never committed (a commit drops them from the intent): leftovers of an
  // owner that crashed or stalled. Intents written before the intent was the commit record can
  // list files below where the group resumes, which it committed: those stay.
  const std::int64_t leftover_from = reset ? previous.committed : *resume;
  std::vector<std::string> leftovers;
  for (const auto& f : previous.files) {
    const auto start = start_offset_of(f);
    if (!start) {
      sink_log().warn(
          "the intent object lists a key that is not a file of the sink; ignoring it intent={} key={}", key,
          f);
    } else if (*start >= leftover_from) {
      leftovers.push_back(f);
    }
  }
  // Leftovers stay listed until retired, so that a crash before then leaves them to the next
  // owner. After an accepted reset they are kept, and must not be listed: a later takeover would
  // retire them.
  if (!reset) next.files = leftovers;
  auto swapped =
      store.put_if(key, encode_intent(next), *current ? std::optional((*current)->version) : std::nullopt);
  if (!swapped) return std::move(swapped).err();
  if (!*swapped) {
    // Another writer changed the intent since we read it. The group's offset we were given may
    // be as old as that: we may be a sink that stalled here while the group moved on. Leave it
    // to the caller to find out whose the partition is.
    return base::error::conflict(
        fmt::format("the intent object {} changed while this sink took partition {} of {} over", key,
                    t.partition, t.source_name));
  }

  // The intent now names this generation; no earlier owner can list a new file. What they
  // listed is retired: a publish still on its way fails, and what was published holds nothing.
  for (const auto& f : leftovers) {
    base::status s;
    if (reset) {
      // The topic those files came from is gone or rewound: a published one may be the only
      // copy of its records, so only the parts of unfinished uploads go.
      s = store.remove_unfinished(f);
    } else if (const auto empty = format::empty_file(extension_of(f))) {
      s = store.retire(f, *empty);
    } else {
      s = base::error::fail(fmt::format(
          "the intent object {} lists {}, whose extension is no output format of the sink, so it cannot be "
          "retired; the intent object is damaged — restore it from a backup or the bucket's versions",
          key, f));
    }
    if (!s) return std::move(s).err();
  }
  retired = reset ? 0 : static_cast<std::int64_t>(leftovers.size());
  if (reset) {
    sink_log().warn(
        "offset reset accepted: reading again from the group's offset, below what the sink wrote "
        "partition={} "
        "source={} resume_at={} written_up_to={} generation={}",
        t.partition, t.source_name, *resume, previous.committed, next.generation);
  }
  // Nothing committed anywhere: reading starts wherever the source's records begin (retention may
  // have deleted the first ones long ago), not at offset 0.
  const bool from_the_start = !t.committed && *resume == 0;
  return partition_claim(store, key, std::move(**swapped), std::move(next), from_the_start);
}

base::result<std::int64_t> partition_claim::committed_in(store::object_store& store,
                                                         std::string_view source_name,
                                                         std::int32_t partition) {
  const std::string key = intent_key(source_name, partition);
  auto text = store.get(key);
  if (!text) return std::move(text).err();
  if (!*text) return std::int64_t{0};
  auto decoded = decode_intent(**text);
  if (!decoded) {
    return base::error::fail(fmt::format("the intent object {} in {} is damaged: {}", key, store.describe(),
                                         decoded.err().message));
  }
  return decoded->committed;
}

base::status partition_claim::record(std::vector<std::string> files, std::int64_t committed) {
  intent next = last_;
  next.files = std::move(files);
  next.committed = committed;
  ++next.sequence;
  auto swapped = store_->put_if(key_, encode_intent(next), version_);
  if (!swapped) return std::move(swapped).err();
  if (!*swapped) {
    return base::error::conflict(
        fmt::format("the intent object {} was replaced by another owner: the partition was taken over "
                    "(generation {} is over)",
                    key_, last_.generation));
  }
  version_ = std::move(**swapped);
  last_ = std::move(next);
  return base::ok_v;
}

}  // namespace clicktrail::sink
