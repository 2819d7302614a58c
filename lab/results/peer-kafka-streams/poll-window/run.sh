#!/bin/bash
# A/B: billing's group-commit transaction polls with Duration.ZERO (a, poll-zero-*: jars of b21e810, /tmp/after-repo) vs the rest of its window (b, poll-window-*: the same + poll(max(0, transaction-max-time - age)), /tmp/lever)
OPTS="-Xmx160m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError"
for run in a1 b1 a2 b2 a3 b3; do
  case $run in a*) cd /tmp/after-repo;; b*) cd /tmp/lever;; esac
  D=/tmp/peer-poll/$run; mkdir -p $D
  echo "$(date -u +%T) $run start load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/peer-poll/progress.txt
  java -jar lab/target/lab.jar bench --modes EXACTLY_ONCE --workloads STREAM_ORDERS --orders 200000 --warmup PT5S --no-record --peer kafka-streams --data $D/data --out $D/out --child-jvm-options "$OPTS" > $D/bench.log 2>&1
  echo "$(date -u +%T) $run done rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/peer-poll/progress.txt
  rm -rf $D/data
done
