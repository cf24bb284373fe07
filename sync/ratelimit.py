"""Per-account rate limits shared by every worker: a Redis token bucket, or an in-process one when embedded."""

from __future__ import annotations

import threading
import time

import redis

# KEYS[1] bucket; ARGV: rate per second, burst, now (seconds). Returns seconds to wait (0 = token taken).
_LUA = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RateLimiter:
    """``acquire(key, rate, burst)`` blocks until a request to that account may go out."""

    def __init__(self, redis_url: str | None) -> None:
        self._redis = redis.Redis.from_url(redis_url) if redis_url else None
        self._script = self._redis.register_script(_LUA) if self._redis else None
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def _try(self, key: str, rate: float, burst: float) -> float:
        now = time.time()
        if self._script is not None:
            return float(self._script(keys=[f"leadhub:ratelimit:{key}"], args=[rate, burst, now]))
        with self._lock:
            tokens, at = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - at) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._buckets[key] = (tokens, now)
            return wait

    def acquire(self, key: str, rate: float, burst: float) -> float:
        """Returns how long it waited."""
        waited = 0.0
        while (wait := self._try(key, rate, burst)) > 0:
            time.sleep(wait)
            waited += wait
        return waited
