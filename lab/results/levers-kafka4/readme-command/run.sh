#!/bin/bash
# README's bench command, defaults vs window 1 ms + 2 lanes, alternating
cd /work/main
J='-Xmx256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError'
run() { name=$1; shift
  java -jar lab/target/lab.jar bench --orders 300000 --warmup PT20S --no-record --out /tmp/lv2/$name "$@" > /tmp/lv2/$name.log 2>&1
  echo "$name rc=$? $(date +%T)"; grep -E '^(AT_MOST|AT_LEAST|EXACTLY).*acknowledged \(' /tmp/lv2/$name.log | sed 's/ acknowledged//'
  grep 'exactly-once / at-least-once' /tmp/lv2/$name.log
}
run base-1
run both-1 "--child-jvm-options=$J -Dapp.producer.transaction-lanes=2 -Dapp.producer.group-commit-max-ms=1"
run base-2
run both-2 "--child-jvm-options=$J -Dapp.producer.transaction-lanes=2 -Dapp.producer.group-commit-max-ms=1"
