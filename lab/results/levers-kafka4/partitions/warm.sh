#!/bin/bash
run() { name=$1; jar=$2; shift 2
  java -jar $jar bench --no-record --out /tmp/lv3/$name "$@" > /tmp/lv3/$name.log 2>&1
  echo "$name rc=$? $(date +%T)"; grep -E '^(AT_LEAST|EXACTLY).*acknowledged \(' /tmp/lv3/$name.log | sed 's/ acknowledged//'
  grep 'exactly-once / at-least-once' /tmp/lv3/$name.log | head -1
}
U="--modes AT_LEAST_ONCE,EXACTLY_ONCE --workloads PLACE_ORDER --orders 100000 --warmup PT10S --repeat 3"
run warm-parts3 /work/main/lab/target/lab.jar $U
run warm-parts1 /tmp/repo-p1/lab/target/lab.jar $U
