// Deletes the topics a benchmark run wrote (they hold gigabytes), with Kafka's own Admin API.
//
//   java -cp "$KAFKA_HOME/libs/*" bench/collector/DeleteTopics.java BOOTSTRAP TOPIC...
//
// Run as a single-file source program (needs a JDK: openjdk-17-jdk-headless); topics that do
// not exist are skipped. kcat cannot delete topics, and the Kafka jars that tools/ fetches have
// no command-line tool that can.
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class DeleteTopics {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: DeleteTopics.java BOOTSTRAP TOPIC...");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<String> present = Arrays.stream(args).skip(1).filter(existing::contains).toList();
      if (!present.isEmpty()) admin.deleteTopics(present).all().get(60, TimeUnit.SECONDS);
      System.out.println("deleted topics: " + present);
    }
  }
}
