"""tests/e2e's S3 fault proxy, with its faults in bursts of one kind that the campaign switches on
and off (the shared proxy fails a fixed share of requests, of every kind, all the time). Holding
every request (FaultProxy.holding) is the shared proxy's own."""

from __future__ import annotations

from shared import FaultProxy

BURST_KINDS = {"s3-errors": ("500", "503"), "s3-resets": ("reset",), "s3-stalls": ("stall",)}


class BurstProxy(FaultProxy):
    def __init__(self, upstream: str, seed: int):
        super().__init__(upstream, fault_rate=0.0, seed=seed)
        self.kinds: tuple[str, ...] = ("500",)

    def burst(self, fault_kind: str, rate: float, stall_s: float = 0.0) -> None:
        with self.lock:
            self.kinds = BURST_KINDS[fault_kind]
            self.fault_rate = rate
            self.stall_s = stall_s or self.stall_s

    def calm(self) -> None:
        with self.lock:
            self.fault_rate = 0.0

    def pick(self) -> str:
        with self.lock:
            if self.rng.random() >= self.fault_rate:
                self.counts["forwarded"] += 1
                return "forward"
            fault = self.rng.choice(self.kinds)
            self.counts[fault] += 1
            return fault
