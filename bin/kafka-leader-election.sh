#!/bin/sh
# kafka-leader-election.sh for Samsa: Kafka's flags and output, run on Node.
# Follows symlinks so the script works when linked from elsewhere.
self="$0"
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case "$link" in
    /*) self="$link" ;;
    *) self="$(dirname "$self")/$link" ;;
  esac
done
exec "${SAMSA_NODE:-node}" "$(dirname "$self")/../dist/src/cli/tools/leader-election.js" "$@"
