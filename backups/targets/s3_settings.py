"""Everything needed to reach one S3 bucket. Pure data: importing it does not load boto3."""

from __future__ import annotations

from dataclasses import dataclass

from backups.targets.credentials import SecretSource


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str | None  # None: AWS itself
    region: str
    bucket: str
    access_key: SecretSource
    secret_key: SecretSource
    prefix: str = ""
    path_style: bool = True  # most self-hosted S3 servers (SeaweedFS, MinIO, Garage) want it
    max_attempts: int = 5  # in all, first try included; botocore "standard" retry mode
    max_connections: int = 8  # also the size of the thread pool boto3 calls run in
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
