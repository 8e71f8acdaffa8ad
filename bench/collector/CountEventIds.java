// Counts the records of a topic by event id, so that a benchmark run can check that the topic
// holds exactly the events the collector acknowledged, event by event.
//
//   java -cp "$KAFKA_HOME/libs/*" bench/collector/CountEventIds.java BOOTSTRAP TOPIC
//
// Reads every partition from its start to the end offset it had when the program started, with
// no consumer group (nothing is committed). A record's value starts with its event id in either
// form the collector writes: the binary record (docs/record.proto) as 0xC1, field 1's tag 0x0A,
// its length 36 and the id; the JSON line as {"event_id":"<36 characters>",… Prints one line per
// distinct event id, "ID COUNT", then "records N" and "unreadable N" (values that start neither way).
// Run as a single-file source program (needs a JDK); kcat would take minutes to print the
// gigabytes a run writes.
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class CountEventIds {
  private static final byte[] JSON_PREFIX = "{\"event_id\":\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] BINARY_PREFIX = {(byte) 0xC1, 0x0A, 36};
  private static final int ID_LENGTH = 36;

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: CountEventIds.java BOOTSTRAP TOPIC");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20000");
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 << 20));
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(16 << 20));
    Map<String, long[]> counts = new HashMap<>();
    long records = 0, unreadable = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
             new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(args[1], Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      long idle = 0;
      while (!done(consumer, ends)) {
        var batch = consumer.poll(Duration.ofSeconds(1));
        if (batch.isEmpty()) {
          if (++idle > 30) throw new IllegalStateException("no records for 30 s before the end offsets " + ends);
          continue;
        }
        idle = 0;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          if (r.offset() >= ends.get(new TopicPartition(r.topic(), r.partition()))) continue;
          records++;
          byte[] v = r.value();
          int at = startsWith(v, BINARY_PREFIX) ? BINARY_PREFIX.length
              : startsWith(v, JSON_PREFIX) ? JSON_PREFIX.length : -1;
          if (at < 0 || v.length < at + ID_LENGTH) {
            unreadable++;
            continue;
          }
          String id = new String(v, at, ID_LENGTH, StandardCharsets.US_ASCII);
          counts.computeIfAbsent(id, k -> new long[1])[0]++;
        }
      }
    }
    StringBuilder out = new StringBuilder();
    counts.forEach((id, n) -> out.append(id).append(' ').append(n[0]).append('\n'));
    out.append("records ").append(records).append('\n');
    out.append("unreadable ").append(unreadable).append('\n');
    System.out.print(out);
  }

  private static boolean startsWith(byte[] v, byte[] prefix) {
    return v != null && v.length >= prefix.length && Arrays.equals(v, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static boolean done(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (var e : ends.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) return false;
    }
    return true;
  }
}
