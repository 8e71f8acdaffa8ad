#pragma once
// One owner's claim on a partition in the store: the generation it writes under, and the version
// of the partition's intent object (intent.h) it wrote last. Every change to the intent is a
// compare-and-swap on that version, so once another owner has taken the partition over — the
// consumer group gave it to another sink while this one stalled — every write of this claim fails
// with outcome::conflict, and so does every upload it began (the new owner retired their keys).
// docs/sink.md, "Fencing", has the whole argument.
//
// Lifetime: taken on assignment, dropped on revocation; used by the sink's one thread.

#include <cstdint>
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
    std::optional<std::int64_t> committed;  // the group's committed offset; nullopt: none, reading starts at 0
    // A committed offset below the intent's high-water mark means the topic was recreated or the
    // group's offsets were reset or expired: without this, take() fails with the fix.
    bool accept_offset_reset = false;
  };

  // Recovery (docs/sink.md, step 6): reads the intent, refuses offsets that went back, replaces
  // the intent with the next generation by compare-and-swap (read again and retried while other
  // writers race), then retires every file the previous owners listed at or above the committed
  // offset: none of them can be published any more, and none holds records. `retired` counts them.
  static base::result<partition_claim> take(store::object_store& store, const takeover& t, std::int64_t& retired);

  std::int64_t generation() const noexcept { return last_.generation; }
  // Replaces the intent's files and high-water mark. outcome::conflict when another owner has
  // taken the partition over; the claim is then lost for good.
  base::status record(std::vector<std::string> files, std::int64_t committed);

 private:
  partition_claim(store::object_store& store, std::string key, std::string version, intent last)
      : store_(&store), key_(std::move(key)), version_(std::move(version)), last_(std::move(last)) {}

  store::object_store* store_;
  std::string key_;
  std::string version_;  // of the intent as this claim last wrote it
  intent last_;
};

}  // namespace clicktrail::sink
