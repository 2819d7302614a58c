#!/bin/bash
# partitions as levers, measurement-only builds (Topics.ORDERS_PARTITIONS 1 and 6) against main, alternating
run() { name=$1; jar=$2; shift 2
  java -jar $jar bench --no-record --out /tmp/lv3/$name "$@" > /tmp/lv3/$name.log 2>&1
  echo "$name rc=$? $(date +%T)"; grep -E '^(AT_LEAST|EXACTLY).*acknowledged \(' /tmp/lv3/$name.log | sed 's/ acknowledged//'
  grep -A3 'CPU per stored order' /tmp/lv3/$name.log | tail -2
}
U="--modes AT_LEAST_ONCE,EXACTLY_ONCE --workloads PLACE_ORDER --orders 100000 --warmup PT10S"
S="--modes EXACTLY_ONCE --workloads STREAM_ORDERS --orders 300000 --warmup PT10S"
run parts3-a /work/main/lab/target/lab.jar $U
run parts1-a /tmp/repo-p1/lab/target/lab.jar $U
run parts3-b /work/main/lab/target/lab.jar $U
run parts1-b /tmp/repo-p1/lab/target/lab.jar $U
run stream-p3c1-a /work/main/lab/target/lab.jar $S
run stream-p6c3-a /tmp/repo-p6/lab/target/lab.jar $S --consumers 3
run stream-p3c1-b /work/main/lab/target/lab.jar $S
run stream-p6c3-b /tmp/repo-p6/lab/target/lab.jar $S --consumers 3
