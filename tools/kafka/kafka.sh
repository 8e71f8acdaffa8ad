# shellcheck shell=bash
# tools/kafka/kafka.sh — run Kafka KRaft nodes from the jars fetch-kafka.sh laid out.
# Sourced by tools/services.sh after lib.sh; uses its STATE, LOGS and PIDS folders.
# A node is named (kafka, kafka-cluster-1, ...): its config and data live in
# $STATE/<name>/, its log in $LOGS/<name>.log, its pid in $PIDS/<name>.pid.

# A fixed 512 MiB heap (Kafka's own start script gives 1 GiB): tests run up to four brokers next
# to the code under test on 2 cores. Fixed, because G1 left to grow from a small heap kept it at
# 128 MiB and collected the young generation every 2 s; at 512 MiB it does every ~9 s, and each
# pause (5-25 ms on these cores) is what a producer waiting for acks=all sees in its p99.
KAFKA_JAVA=(java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -Djava.awt.headless=true -Dlog4j.configuration="file:$TOOLS_DIR/kafka/log4j.properties"
  -cp "$KAFKA_HOME/libs/*")

# A cluster id as `kafka-storage random-uuid` makes it (base64url of 16 random bytes,
# not starting with '-'), without paying for a JVM start.
kafka_cluster_id() {
  python3 -c 'import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"): print(s); break'
}

# kafka_configure NAME NODE_ID PORT CONTROLLER_PORT VOTERS RF: write a combined
# broker+controller config; RF is the replication factor of every internal and
# auto-created topic (1 for the single node, 3 for the cluster).
kafka_configure() {
  local name=$1 id=$2 port=$3 cport=$4 voters=$5 rf=$6 dir="$STATE/$1"
  local isr=$((rf > 1 ? 2 : 1))
  rm -rf "$dir" && mkdir -p "$dir"
  : >"$LOGS/$name.log"
  echo "$port" >"$dir/port"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
auto.create.topics.enable=true
num.partitions=4
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
# Tests join fresh consumer groups all the time: no rebalance delay, and a small
# offsets/transaction topic so its first creation takes milliseconds, not seconds.
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
# A broker killed with -9 can register again only once its old session expires
# (default 9s); fault tests kill and restart brokers, so expire sessions sooner.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
# The log cleaner's dedupe buffer is a heap array of 128 MiB by default, live for the broker's
# life: in a 512 MiB heap it kept the old generation above G1's threshold, so that a concurrent
# cycle, with its remark pause, followed nearly every young collection. The only compacted
# topics here are the broker's own, a few kilobytes.
log.cleaner.dedupe.buffer.size=8388608
PROPS
}

# kafka_format NAME CLUSTER_ID: what `kafka-storage.sh format` does.
kafka_format() {
  "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$2" \
    -c "$STATE/$1/server.properties" >>"$LOGS/$1.log" 2>&1 ||
    die "formatting Kafka storage for $1 failed; see $LOGS/$1.log"
}

kafka_launch() {
  spawn "$PIDS/$1.pid" "$LOGS/$1.log" "${KAFKA_JAVA[@]}" kafka.Kafka "$STATE/$1/server.properties"
}

# kafka_ready ADDRESS ID: the node at ADDRESS answers metadata requests and lists
# itself, which KRaft does only once the broker is registered and unfenced. (Not
# "lists N brokers": a node restarted while another is down must count as ready.)
kafka_ready() { kcat -L -b "$1" -m 3 2>/dev/null | grep "^  broker $2 at $1\b" >/dev/null; }

# kafka_await NAME: wait until node NAME is ready.
kafka_await() {
  local port id
  port=$(<"$STATE/$1/port")
  id=$(sed -n 's/^node.id=//p' "$STATE/$1/server.properties")
  wait_up 90 "$PIDS/$1.pid" "$LOGS/$1.log" "Kafka node $1" kafka_ready "127.0.0.1:$port" "$id"
}

kafka_single_start() {
  if pid_alive "$PIDS/kafka.pid"; then
    say "kafka: already running"
    return
  fi
  local port cport
  read -r port cport < <(free_ports 2)
  kafka_configure kafka 1 "$port" "$cport" "1@127.0.0.1:$cport" 1
  kafka_format kafka "$(kafka_cluster_id)"
  kafka_launch kafka
  echo "export KAFKA_BOOTSTRAP=127.0.0.1:$port" >"$STATE/kafka.env"
}

# Three combined nodes, a 3-voter quorum. If a fault test left some nodes stopped,
# start brings those back on their existing data rather than starting afresh.
kafka_cluster_start() {
  local n alive=0 ports cports voters="" cid formats=()
  for n in 1 2 3; do pid_alive "$PIDS/kafka-cluster-$n.pid" && alive=$((alive + 1)); done
  if ((alive == 3)); then
    say "kafka cluster: already running"
    return
  elif ((alive > 0)); then
    for n in 1 2 3; do
      pid_alive "$PIDS/kafka-cluster-$n.pid" && continue
      say "kafka cluster: starting stopped node $n again on its data"
      kafka_launch "kafka-cluster-$n"
    done
    return
  fi
  read -r -a ports < <(free_ports 6)
  cports=("${ports[@]:3}")
  for n in 1 2 3; do voters+="${voters:+,}$n@127.0.0.1:${cports[n - 1]}"; done
  cid=$(kafka_cluster_id)
  for n in 1 2 3; do
    kafka_configure "kafka-cluster-$n" "$n" "${ports[n - 1]}" "${cports[n - 1]}" "$voters" 3
    kafka_format "kafka-cluster-$n" "$cid" &
    formats+=($!)
  done
  for n in "${formats[@]}"; do wait "$n" || exit 1; done
  for n in 1 2 3; do kafka_launch "kafka-cluster-$n"; done
  echo "export KAFKA_CLUSTER_BOOTSTRAP=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}" \
    >"$STATE/kafka-cluster.env"
}

kafka_cluster_await() {
  local n
  for n in 1 2 3; do kafka_await "kafka-cluster-$n"; done
}
