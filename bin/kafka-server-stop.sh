#!/usr/bin/env sh
# Samsa's kafka-server-stop.sh: same arguments as Kafka's script.
SAMSA_HOME=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
exec node "$SAMSA_HOME/dist/src/cli/kafka-server-stop.js" "$@"
