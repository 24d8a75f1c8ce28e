"""Settings: the only module that reads the environment."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration, from `LEADFLOW_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = Field(default="", description="Signs sessions and cookies.")
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1024 * 1024
    max_batch_body_bytes: int = 32 * 1024 * 1024
    huey_immediate: bool = False
    queue_name: str = "leadflow"
    # How long a person's write (a page or a single API call, not intake) waits for
    # the effects of its own events before answering; 0 answers at once.
    settle_seconds: float = 3.0
    # Each process's relay is woken by its own commits; it also looks this often for
    # events other processes wrote.
    relay_poll_seconds: float = 1.0
    # The background duplicate check runs at most this often per entity while records
    # keep changing (and a slow one waits 20 times its own duration); 0: after every
    # change; below 0: never on its own ("Check now", the CLI and the 10-minute sweep of a
    # never-checked entity still run one).
    duplicate_check_pause_seconds: float = 10.0
    # Public capture endpoints (landing pages, form and event APIs); 0 switches a limit off.
    capture_ip_limit_per_minute: int = 60
    capture_form_limit_per_minute: int = 3000
    # Emails (emails/): the SMTP server messages go out through. The defaults point at the
    # local mail catcher that `leadflow serve --with-worker` runs on mail_catcher_port.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_rate_per_second: float = 0.0  # 0: no limit
    smtp_timeout_seconds: float = 30.0
    # A message claimed for sending longer ago than this by a worker that is gone is recovered.
    smtp_claim_seconds: float = 300.0
    smtp_batch_size: int = 500
    # The local mail catcher: 0 switches it off; it also stays off when SMTP points elsewhere.
    mail_catcher_port: int = 1025
    # Links in emails (tracking, unsubscribe) start with this.
    public_url: str = "http://127.0.0.1:8000"
    # Encrypts integration secrets at rest (LinkedIn tokens): a Fernet key (32 url-safe
    # base64 bytes); unset, one is derived from the secret key. Changing it makes the
    # stored tokens unreadable: they must be entered again.
    token_key: str = Field(default="", description="Fernet key for stored tokens.")
    # LinkedIn's 3-legged OAuth ("Connect with LinkedIn"): the app registered at LinkedIn's
    # developer portal, whose redirect URLs list this server's /settings/linkedin/callback.
    # Unset, connections take a pasted access token only.
    linkedin_client_id: str = ""
    linkedin_client_secret: str = ""
    # Where LinkedIn's authorization and token endpoints live, and its API (tests point
    # both at their fake LinkedIn).
    linkedin_oauth_url: str = "https://www.linkedin.com/oauth/v2"
    linkedin_api_url: str = "https://api.linkedin.com"
    # The Lead Sync API's permissions (space-separated), as LinkedIn's Lead Sync docs name them.
    linkedin_scopes: str = "r_marketing_leadgen_automation r_ads r_organization_admin"
    # The callback LinkedIn sends the user back to; empty: /settings/linkedin/callback at
    # the address the request came to (set it behind a proxy that changes the address).
    linkedin_redirect_url: str = ""
    # Adds the bare insert endpoint bench/capture.py measures the floor with; never in production.
    bench_endpoints: bool = False

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'leadflow.db').as_posix()}"

    @cached_property
    def effective_secret_key(self) -> str:
        """A stable secret: the configured one, or one generated once under var/."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        import secrets

        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        return key

    @property
    def runs_mail_catcher(self) -> bool:
        """The catcher runs when SMTP points at it: a local host on its port."""
        return bool(self.mail_catcher_port) and (
            self.smtp_host in ("127.0.0.1", "localhost", "::1")
            and self.smtp_port == self.mail_catcher_port
        )

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
