#!/bin/bash
# A/B: billing's transactional producer linger.ms 5 (default) vs 100 (Kafka Streams' default under EOS)
cd /tmp/after-repo
BASE="-Xmx160m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
for run in a1 b1 a2 b2 a3 b3; do
  case $run in a*) OPTS="$BASE";; b*) OPTS="$BASE -Dkafka.producers.billing-invoices-tx.linger.ms=100";; esac
  D=/tmp/peer-linger/$run; mkdir -p $D
  echo "$(date -u +%T) $run start load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/peer-linger/progress.txt
  java -jar lab/target/lab.jar bench --modes EXACTLY_ONCE --workloads STREAM_ORDERS --orders 200000 --warmup PT5S --no-record --peer kafka-streams --data $D/data --out $D/out --child-jvm-options "$OPTS" > $D/bench.log 2>&1
  echo "$(date -u +%T) $run done rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/peer-linger/progress.txt
  rm -rf $D/data
done
