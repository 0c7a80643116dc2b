#!/usr/bin/env bash
# Records the requests kcat (librdkafka) sends into test/fixtures/golden/kcat/.
# Needs: kcat built with gzip, snappy, lz4 and zstd (Debian: apt-get install kcat),
# and a built tree (npx tsc -p .). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=test/fixtures/golden/kcat
VERSION=$(kcat -V | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/kcat \1, librdkafka \2/p')
kcat -V | grep -q 'builtin.features=.*gzip.*snappy.*lz4.*zstd' || { echo "kcat lacks a codec"; exit 1; }

LOG=$(mktemp)
node dist/tools/capture/capture-server.js --client kcat --out "$OUT" --client-version "$VERSION" >"$LOG" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 50); do grep -q listening "$LOG" && break; sleep 0.1; done
BROKER=$(sed -n 's/^listening //p' "$LOG")
echo "capture server at $BROKER"

# Every step names itself in client.id (golden.<scenario>); the test reads it back.
common=(-b "$BROKER" -X topic.metadata.refresh.interval.ms=600000 -X log.connection.close=false)

kcat "${common[@]}" -X client.id=golden.list -L >/dev/null

# librdkafka sends a batch uncompressed when compressing does not make it
# smaller, so the values are long and repetitive enough to shrink.
PAD=$(printf 'golden %.0s' $(seq 30))
for codec in none gzip snappy lz4 zstd; do
  printf 'k1:first %s %s\nk2:second %s %s\nk3:third %s %s\n' "$codec" "$PAD" "$codec" "$PAD" "$codec" "$PAD" |
    kcat "${common[@]}" -X client.id="golden.produce-$codec" -P -t golden -K: -z "$codec" \
      -H trace=golden -X linger.ms=50
done

# Idempotent producer (InitProducerId, producer id and sequence in the batch).
printf 'k1:idempotent one %s\nk1:idempotent two %s\n' "$PAD" "$PAD" |
  kcat "${common[@]}" -X client.id=golden.produce-idempotent-zstd -P -t golden -p 0 -K: -z zstd \
    -X enable.idempotence=true -X linger.ms=50

# acks=0: the client expects no answer.
printf 'fire and forget %s\n' "$PAD" |
  kcat "${common[@]}" -X client.id=golden.produce-acks0-gzip -P -t golden -p 1 -z gzip -X acks=0 -X linger.ms=50

# Simple consumer: ListOffsets + Fetch to the end of each partition.
kcat "${common[@]}" -X client.id=golden.consume -C -t golden -o beginning -e -q >/dev/null

# Balanced consumer: FindCoordinator, JoinGroup, SyncGroup, OffsetFetch, Fetch, OffsetCommit, LeaveGroup.
timeout 60 kcat "${common[@]}" -X client.id=golden.group -X auto.offset.reset=earliest \
  -X enable.auto.commit=true -X auto.commit.interval.ms=200 -q -c 5 -G golden-kcat golden >/dev/null

echo "recorded into $OUT ($VERSION)"
