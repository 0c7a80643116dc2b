"""Shared by the Python drivers: the same data and checks as drivers/common.ts.

A driver is run as `python3 <driver>.py <scenario> <bootstrap>`; it exits 0
when the scenario passed, and otherwise prints one `FAIL: <reason>` line on
stderr and exits 1.
"""
import sys
import time
import traceback

KEYED = [(f"k{i % 5}", f"v{i}", str(i)) for i in range(30)]
COMPRESSIBLE = [f"value-{i}-{'abcdefgh' * 16}" for i in range(20)]
# consumer-group: the two members left take over within this, before a 6 s session expires (so by LeaveGroup).
TAKEOVER_S = 5.0
COMMITTED = ["c0", "c1", "c2", "c3", "c4", "c5"]
ABORTED = ["a0", "a1", "a2", "a3", "a4"]


def base_timestamp():
    return int((time.time() * 1000 - 60_000) // 1000) * 1000


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def check_keyed(records):
    """records: list of (partition, offset, key, value, headers dict)."""
    check_equal(len(records), len(KEYED), "records read back")
    partition_of = {}
    by_key = {}
    for partition, offset, key, value, headers in sorted(records, key=lambda r: (r[0], r[1])):
        i = int(value[1:])
        check_equal(key, f"k{i % 5}", f"key of {value}")
        check_equal(headers.get("h"), str(i), f"header h of {value}")
        check(partition_of.setdefault(key, partition) == partition, f"key {key} on two partitions")
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        check_equal(values, [v for k, v, _ in KEYED if k == key], f"values of key {key} in partition order")


def covers_once(assignments, partitions=6):
    flat = sorted(p for a in assignments for p in a)
    return all(len(a) > 0 for a in assignments) and flat == list(range(partitions))


def wait_for(what, probe, timeout_s=20.0, step=None):
    """Calls step() (e.g. polling consumers) until probe() is true."""
    deadline = time.time() + timeout_s
    while not probe():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        if step is not None:
            step()
        else:
            time.sleep(0.05)


def run_driver(scenarios):
    if len(sys.argv) != 3 or sys.argv[1] not in scenarios:
        print(f"FAIL: scenario not implemented by this driver: {sys.argv[1:]}", file=sys.stderr)
        sys.exit(1)
    try:
        scenarios[sys.argv[1]](sys.argv[2])
    except BaseException as e:  # noqa: BLE001 - everything is a failed scenario
        traceback.print_exc(file=sys.stderr)
        print(f"FAIL: {type(e).__name__}: {' '.join(str(e).split())}"[:600], file=sys.stderr)
        sys.stderr.flush()
        import os
        os._exit(1)
    sys.stdout.flush()
    import os
    os._exit(0)
