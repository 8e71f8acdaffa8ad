#pragma once
// One owner's claim on a partition in the store: the generation it writes under, and the version
// of the partition's intent object (intent.h) it wrote last. Every change to the intent is a
// compare-and-swap on that version, so once another owner has taken the partition over — the
// consumer group gave it to another sink while this one stalled — every write of this claim fails
// with outcome::conflict, and so does every upload it began (the new owner retired their keys).
// docs/sink.md, "Fencing", has the whole argument.
//
// The intent is also the partition's commit record: a commit raises its `committed` offset and
// drops the files below it in one compare-and-swap, before the source (Kafka's group) hears of
// it. What the intent says was committed is; the group's offset only follows.
//
// Lifetime: taken on assignment, dropped on revocation; used by the sink's one thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sink/intent.h"
#include "store/object_store.h"

namespace clicktrail::sink {

class partition_claim {
 public:
  struct takeover {
    std::string source_name;  // the topic, or "wal"
    std::int32_t partition = 0;
    std::optional<std::int64_t> committed;  // the group's committed offset; nullopt: none
    // Start at the group's offset even where the intent says more was written: the topic was
    // created again, or the group was rewound on purpose. Without it, a group with no offset where
    // the intent has one (an expired offset, or a topic created again?) stops take() with the fix.
    bool accept_offset_reset = false;
    // Asks the group for its committed offset now, when the one above is missing but the intent
    // has one: it may be stale rather than lost.
    std::function<base::result<std::optional<std::int64_t>>()> ask_group;
    // For the message when it is lost: how an operator commits an offset (source::how_to_commit).
    std::function<std::string(std::int64_t)> how_to_commit;
  };

  // Recovery on assignment (docs/sink.md): reads the intent, decides where reading resumes (the
  // intent's committed offset, which the group's may trail by a commit), replaces the intent with
  // the next generation by compare-and-swap, then retires every file the previous owners listed at
  // or above it: none of them can be published any more, and none holds records. `retired` counts
  // them. outcome::conflict when another writer changed the intent between the read and the swap.
  static base::result<partition_claim> take(store::object_store& store, const takeover& t,
                                            std::int64_t& retired);

  // The committed offset the partition's intent records (0 without one), for a log that must not
  // give out offsets the sink has already written (wal::log_options::continue_from).
  static base::result<std::int64_t> committed_in(store::object_store& store, std::string_view source_name,
                                                 std::int32_t partition);

  std::int64_t generation() const noexcept { return last_.generation; }
  // Where reading starts: every record below it is in a complete file the intent counts as
  // committed. With from_the_start(), wherever the source's records begin.
  std::int64_t resume_at() const noexcept { return resume_at_; }
  bool from_the_start() const noexcept { return from_the_start_; }
  // Replaces the intent's files and committed offset: a commit when `committed` rises.
  // outcome::conflict when another owner has taken the partition over; the claim is then lost for
  // good.
  base::status record(std::vector<std::string> files, std::int64_t committed);

 private:
  partition_claim(store::object_store& store, std::string key, std::string version, intent last,
                  bool from_the_start)
      : store_(&store),
        key_(std::move(key)),
        version_(std::move(version)),
        resume_at_(last.committed),
        from_the_start_(from_the_start),
        last_(std::move(last)) {}

  store::object_store* store_;
  std::string key_;
  std::string version_;  // of the intent as this claim last wrote it
  std::int64_t resume_at_;
  bool from_the_start_;
  intent last_;
};

}  // namespace clicktrail::sink
