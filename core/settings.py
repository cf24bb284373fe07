"""Settings: every knob in one typed object, read from the environment (``LEADHUB_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from core.errors import ConfigurationError

DEV_SECRET_KEY = "leadhub-development-key-change-me"  # noqa: S105 - public by design, warned about

# Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
# Fields whose variable is not simply LEADHUB_<FIELD> (DESIGN.md names LEADHUB_CONFIG).
ENV_NAMES = {"config_path": "LEADHUB_CONFIG", "rules_path": "LEADHUB_RULES"}

DEFAULT_RETRY_SCHEDULE = [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


class Settings(BaseModel):
    """Runtime configuration; build it with :meth:`from_env` or directly in tests."""

    data_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = DEV_SECRET_KEY
    config_path: Path | None = None
    rules_path: Path | None = None
    queue_name: str = "leadhub"

    secure_cookies: bool = False  # set true behind HTTPS (the admin's session cookie then never travels in clear)
    max_body_bytes: int = 1_048_576
    signature_tolerance_s: int = 300
    sqlite_synchronous: str = "NORMAL"

    worker_threads: int = 4
    sweep_interval_s: float = 2.0
    sweep_grace_s: float = 10.0
    notice_max_attempts: int = Field(default=10, ge=1)  # then a notice the platform will not complete is given up
    lease_s: float = 60.0

    delivery_timeout_s: float = 15.0
    retry_schedule: list[float] = Field(default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE))
    retry_jitter: float = 0.2
    endpoint_disable_after_s: float = 5 * 24 * 3600.0

    @field_validator("sqlite_synchronous")
    @classmethod
    def _known_sync_mode(cls, value: str) -> str:
        mode = value.upper()
        if mode not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError("LEADHUB_SQLITE_SYNCHRONOUS must be one of OFF, NORMAL, FULL, EXTRA")
        return mode

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'leadhub.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``LEADHUB_*`` variables; unknown ones are ignored, malformed ones raise."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_NAMES.get(name, f"LEADHUB_{name.upper()}"))
            if raw is None or raw == "":
                continue
            if name == "retry_schedule":
                values[name] = [float(part) for part in raw.split(",") if part.strip()]
            else:
                values[name] = raw
        values.update(overrides)
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{ENV_NAMES.get(str(e['loc'][0]), 'LEADHUB_' + str(e['loc'][0]).upper())}: {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigurationError(f"Invalid environment: {problems}.") from None

    def as_env(self) -> dict[str, str]:
        """The same settings as environment variables, for child processes."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            env[ENV_NAMES.get(name, f"LEADHUB_{name.upper()}")] = str(value)
        return env
