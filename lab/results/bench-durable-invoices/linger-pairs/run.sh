#!/bin/bash
# StreamOrders exactly-once, billing's transactional producer linger.ms 100 (jar default since 5dd4f58) vs 5
cd /tmp/after-repo
BASE="-Xmx160m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
for run in l5-1 l100-1 l5-2 l100-2; do
  case $run in l5*) OPTS="$BASE -Dkafka.producers.billing-invoices-tx.linger.ms=5";; *) OPTS="$BASE";; esac
  D=/tmp/streams-linger/$run; mkdir -p $D
  echo "$(date -u +%T) $run start load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/streams-linger/progress.txt
  java -jar lab/target/lab.jar bench --modes EXACTLY_ONCE --workloads STREAM_ORDERS --orders 100000 --warmup PT10S --repeat 2 --no-record --data $D/data --out $D/out --child-jvm-options "$OPTS" > $D/bench.log 2>&1
  echo "$(date -u +%T) $run done rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/streams-linger/progress.txt
  rm -rf $D/data
done
