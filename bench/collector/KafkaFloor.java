// What the broker alone lets a producer's p99 be: Kafka's own Java client, with the collector's
// default producer settings, sending "requests" of N records at a constant rate and timing each
// from its send to the acknowledgement of its last record. The collector answers a request only
// then, so at the same rate and record size this is the floor under its latency on this machine.
//
//   javac -cp "$KAFKA_HOME/libs/*" -d CLASSES bench/collector/KafkaFloor.java
//   java -XX:TieredStopAtLevel=1 -cp "CLASSES:$KAFKA_HOME/libs/*" KafkaFloor \
//       BOOTSTRAP TOPIC REQUESTS_PER_S RECORDS_PER_REQUEST RECORD_BYTES WARMUP_S SECONDS
//
// bench/collector/run does so, with the client compiler alone: C2's threads otherwise take a core
// of the two for the first seconds, and the figure measures the JIT rather than the broker.
//
// - The first WARMUP_S seconds run at the same rate and are not counted (this JVM's start and JIT,
//   not the broker's); the topic's metadata is fetched before the first send.
// - A request is timed from its actual send, as vegeta times the collector's; rate_achieved says
//   whether the sends kept up with the rate asked.
// - Settings as src/kafka/producer_conf.cc's defaults: acks=all, idempotence, lz4, linger.ms 2.
//   A request's records share one key, as a tracker's batch shares its visitor's id (the
//   collector's key), so a request's records go to one partition; 64 visitors in turn.
// - Values are text-like (an id, then a fixed event's text), so that lz4 compresses them about as
//   much as the collector's records.
//
// Prints one JSON object: requests, p50_ms, p99_ms, max_ms, rate_achieved, failed. Exits 1, with
// the first error on stderr, if a record was not acknowledged.
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class KafkaFloor {
  private static final String USAGE =
      "usage: KafkaFloor BOOTSTRAP TOPIC REQUESTS_PER_S RECORDS_PER_REQUEST RECORD_BYTES WARMUP_S SECONDS";
  private static final int VISITORS = 64;
  private static final String EVENT_TEXT =
      "\"type\":\"page_view\",\"page_url\":\"https://shop.example.com/products/42?ref=home\","
          + "\"page_title\":\"A product page of the shop\",\"referrer\":\"https://www.example.org/\","
          + "\"ua\":\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)\","
          + "\"screen_width\":1920,\"screen_height\":1080,\"language\":\"en-GB\",\"time_zone\":\"Europe/London\"";

  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println(USAGE);
      System.exit(2);
    }
    final String topic = args[1];
    final int rate = Integer.parseInt(args[2]);
    final int perRequest = Integer.parseInt(args[3]);
    final int recordBytes = Integer.parseInt(args[4]);
    final int warmupS = Integer.parseInt(args[5]);
    final int seconds = Integer.parseInt(args[6]);
    if (rate < 1 || perRequest < 1 || recordBytes < 64 || warmupS < 0 || seconds < 1) {
      System.err.printf("KafkaFloor: REQUESTS_PER_S %d, RECORDS_PER_REQUEST %d and SECONDS %d must be at least 1, "
              + "RECORD_BYTES %d at least 64, WARMUP_S %d at least 0%n%s%n",
          rate, perRequest, seconds, recordBytes, warmupS, USAGE);
      System.exit(2);
    }

    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "2");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "1000000");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

    final long warmupRequests = (long) rate * warmupS;
    final int counted = Math.toIntExact((long) rate * seconds);
    // Written by the producer's I/O thread (the callbacks), read here after close(), which joins it.
    final long[] latencyNs = new long[counted];
    final AtomicInteger failed = new AtomicInteger();
    final AtomicReference<Exception> firstError = new AtomicReference<>();
    final AtomicLong outstanding = new AtomicLong();
    long countedStart = 0;
    long countedEnd = 0;

    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      producer.partitionsFor(topic);  // creates the topic and learns its leaders before the clock starts
      final long start = System.nanoTime();
      for (long i = 0; i < warmupRequests + counted; i++) {
        final long due = start + i * 1_000_000_000L / rate;
        for (long now = System.nanoTime(); now < due; now = System.nanoTime()) LockSupport.parkNanos(due - now);
        final long sent = System.nanoTime();
        if (i == warmupRequests) countedStart = sent;
        final int slot = i < warmupRequests ? -1 : (int) (i - warmupRequests);
        final AtomicInteger left = new AtomicInteger(perRequest);
        final byte[] key = ("visitor-" + i % VISITORS).getBytes(StandardCharsets.US_ASCII);
        outstanding.incrementAndGet();
        for (int r = 0; r < perRequest; r++) {
          producer.send(new ProducerRecord<>(topic, key, value(recordBytes)), (metadata, error) -> {
            if (error != null && failed.getAndIncrement() == 0) firstError.set(error);
            if (left.decrementAndGet() == 0) {
              if (slot >= 0) latencyNs[slot] = System.nanoTime() - sent;
              outstanding.decrementAndGet();
            }
          });
        }
      }
      countedEnd = System.nanoTime();
      producer.flush();
    }
    if (outstanding.get() != 0) {
      System.err.println("KafkaFloor: " + outstanding.get() + " requests never completed");
      System.exit(1);
    }
    if (failed.get() > 0) {
      System.err.println("KafkaFloor: " + failed.get() + " records were not acknowledged; the first: " + firstError.get());
      System.exit(1);
    }
    Arrays.sort(latencyNs);
    System.out.printf(
        "{\"requests\": %d, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
            + "\"rate_achieved\": %.1f, \"failed\": %d}%n",
        counted, ms(rank(latencyNs, 0.50)), ms(rank(latencyNs, 0.99)), ms(latencyNs[counted - 1]),
        counted / ((countedEnd - countedStart) / 1e9), failed.get());
  }

  // The nearest-rank percentile of sorted values.
  private static long rank(long[] sorted, double p) {
    return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
  }

  // An event-like value of `bytes` bytes: a fresh id, then the event's text cut or repeated to fit.
  private static byte[] value(int bytes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    StringBuilder s = new StringBuilder(bytes + EVENT_TEXT.length());
    s.append("{\"event_id\":\"").append(new UUID(random.nextLong(), random.nextLong())).append("\",");
    while (s.length() < bytes - 1) s.append(EVENT_TEXT);
    s.setLength(bytes - 1);
    s.append('}');
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static double ms(long ns) {
    return ns / 1e6;
  }
}
