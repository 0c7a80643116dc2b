#!/usr/bin/env sh
# Samsa's kafka-server-start.sh: same arguments as Kafka's script.
SAMSA_HOME=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
# glibc malloc settings for a broker (src/cli/malloc-tunables.ts), unless set already.
GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=67108864}"
export GLIBC_TUNABLES
exec node "$SAMSA_HOME/dist/src/cli/kafka-server-start.js" "$@"
