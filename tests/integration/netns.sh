#!/usr/bin/env bash
# Several hosts on one machine for the multi-host tests (netns_test.cpp):
# network namespaces NAME-h0 .. NAME-h{N-1}, each with one interface eth0 at
# 10.231.7.(i+1)/24, plugged by a veth pair into a bridge that lives in a
# namespace of its own (NAME-sw), so no address of the machine's own
# namespace is involved and traffic flows only between the hosts made here.
#   netns.sh up NAME N     make them (fails, having removed what it made, if the kernel refuses)
#   netns.sh cut NAME I    unplug host I (its link on the bridge goes down)
#   netns.sh heal NAME I   plug it back, returning once both ends of its link
#                          are up (the kernel raises a carrier up to seconds
#                          later on a loaded machine; until then nothing flows)
#   netns.sh down NAME     remove every namespace NAME-*
#   netns.sh sweep PREFIX  remove namespaces PREFIX<pid>-* whose test process <pid> is gone
# Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2.
set -euo pipefail

cmd=${1:?usage: netns.sh up|cut|heal|down|sweep NAME [N|I]}
name=${2:?missing NAME}

names() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1" || true; }

case "$cmd" in
  up)
    n=${3:?missing N}
    trap '"$0" down "$name" >/dev/null 2>&1' ERR
    ip netns add "$name-sw"
    ip -n "$name-sw" link set lo up
    ip -n "$name-sw" link add br0 type bridge
    ip -n "$name-sw" link set br0 up
    for ((i = 0; i < n; i++)); do
      h="$name-h$i"
      ip netns add "$h"
      ip -n "$h" link set lo up
      ip -n "$name-sw" link add "v$i" type veth peer name eth0 netns "$h"
      ip -n "$name-sw" link set "v$i" master br0 up
      ip -n "$h" addr add "10.231.7.$((i + 1))/24" dev eth0
      ip -n "$h" link set eth0 up
    done
    ;;
  cut) ip -n "$name-sw" link set "v${3:?missing I}" down ;;
  heal)
    i=${3:?missing I}
    ip -n "$name-sw" link set "v$i" up
    for ((t = 0; t < 500; t++)); do # 10 s at most
      ip -n "$name-sw" -o link show "v$i" | grep -q "state UP" \
        && ip -n "$name-h$i" -o link show eth0 | grep -q "state UP" && exit 0
      sleep 0.02
    done
    echo "netns.sh: v$i or h$i's eth0 not up 10 s after heal" >&2
    exit 1
    ;;
  down)
    for ns in $(names "$name-"); do ip netns del "$ns" || true; done
    ;;
  sweep)
    for ns in $(names "$name"); do
      pid=${ns#"$name"}
      pid=${pid%%-*}
      [[ "$pid" =~ ^[0-9]+$ ]] || continue
      [[ -d /proc/$pid ]] || ip netns del "$ns" || true
    done
    ;;
  *) echo "netns.sh: unknown command $cmd" >&2; exit 2 ;;
esac
