#pragma once
// A record to write to a log, as views of its key and value: what ingest hands its event log and
// the Kafka producer takes, one type so that a request's records pass from one to the other as
// they are.

#include <cstdint>
#include <string_view>

namespace clicktrail::base {

struct record_ref {
  std::string_view key;  // empty: none (Kafka's partitioner then spreads such records)
  std::string_view value;
  std::int64_t timestamp_ms = 0;  // the record's time (Kafka's CreateTime); 0: the producer's clock
};

}  // namespace clicktrail::base
