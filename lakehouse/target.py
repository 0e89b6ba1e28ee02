"""Where a stack lives: the embedded emulator (``local``) or a real account (``aws``).

Steps never ask which target they are on; they ask the target for clients.
Only the code that starts things differs between the two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.configprovider import ConfiguredEndpointProvider
from botocore.exceptions import ProfileNotFound

from lakehouse.awssession import new_session

TARGETS = ("local", "aws")
DEFAULT_REGION = "ap-northeast-1"

#: Services the Terraform root and the checks use; the local provider override
#: points every one of them at the emulator.
SERVICES = (
    "apprunner",
    "athena",
    "budgets",
    "cloudwatch",
    "glue",
    "iam",
    "lakeformation",
    "resourcegroupstaggingapi",
    "s3",
    "sagemaker",
    "scheduler",
    "sns",
    "sts",
)

#: The emulator accepts any keys; moto maps them to account 123456789012.
LOCAL_ACCESS_KEY = "test"
LOCAL_SECRET_KEY = "test"


#: Attempts of an aws call when the user chose none (botocore's standard mode makes 3, backing off on throttling).
AWS_MAX_ATTEMPTS = 10


def _aws_retries(session: boto3.Session) -> dict[str, Any] | None:
    """The retries of an aws client: the user's retry mode with ``AWS_MAX_ATTEMPTS``, unless the environment or
    the profile sets a number of attempts (``AWS_MAX_ATTEMPTS``, ``max_attempts``): then None, theirs holds."""
    core = session._session  # botocore's session: it resolves the environment, the profile and defaults alike
    if core.get_config_variable("max_attempts") is not None:
        return None
    return {"mode": core.get_config_variable("retry_mode") or "standard", "total_max_attempts": AWS_MAX_ATTEMPTS}


class TargetError(RuntimeError):
    """The target cannot be used as configured (missing credentials, bad name, ...)."""


@dataclass(frozen=True)
class Target:
    """Endpoints and credentials of one target; hands out boto3 clients."""

    name: str
    region: str
    endpoint_url: str | None = None  # set for the local target only
    profile: str | None = None

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def session(self) -> boto3.Session:
        if self.is_local:
            return new_session(
                aws_access_key_id=LOCAL_ACCESS_KEY,
                aws_secret_access_key=LOCAL_SECRET_KEY,
                region_name=self.region,
            )
        return new_session(profile_name=self.profile, region_name=self.region)

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        """A boto3 client for this target (``config`` goes to botocore's ``Config``).

        On aws, unless the user chose a number of attempts, a call is made up to ``AWS_MAX_ATTEMPTS`` times:
        the checks read a stack item by item (tags, LF-Tags, grants), and botocore's 3 attempts let a throttled
        read end a check ``error`` on a busy account."""
        session = self.session()
        if not self.is_local and "retries" not in config and (retries := _aws_retries(session)):
            config = {**config, "retries": retries}
        cfg = Config(**config) if config else None
        return session.client(service, region_name=region or self.region, endpoint_url=self.endpoint_url, config=cfg)

    def configured_endpoint(self, service: str) -> str | None:
        """The endpoint ``service`` is reached at when one is configured, else ``None`` (AWS's own).

        boto3 finds a configured endpoint by itself; clients that are not botocore (pyiceberg's
        Arrow S3 file system) do not, so they are given this. On ``aws`` it is what the standard
        configuration names, as botocore resolves it: ``AWS_ENDPOINT_URL_<SERVICE>``,
        ``AWS_ENDPOINT_URL``, the profile's ``endpoint_url`` or ``services`` section (none of them
        under ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``).
        """
        if self.is_local:
            return self.endpoint_url
        core = botocore.session.Session(profile=self.profile)
        if core.get_config_variable("ignore_configured_endpoint_urls"):
            return None
        found = ConfiguredEndpointProvider(core.full_config, core.get_scoped_config(), service).provide()
        return str(found) if found else None

    def env(self) -> dict[str, str]:
        """Environment variables that point the AWS CLI, boto3 and pyathena at this target."""
        env = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        if self.is_local:
            assert self.endpoint_url
            env.update(
                AWS_ENDPOINT_URL=self.endpoint_url,
                AWS_ACCESS_KEY_ID=LOCAL_ACCESS_KEY,
                AWS_SECRET_ACCESS_KEY=LOCAL_SECRET_KEY,
            )
        elif self.profile:
            env["AWS_PROFILE"] = self.profile
        return env

    def provider_override(self, aliases: list[str | None]) -> str | None:
        """Terraform override file content pointing every AWS provider at the emulator.

        Generated at run time into the stack's working copy, never committed.
        ``None`` on the aws target: the root's own provider settings apply.
        """
        if not self.is_local:
            return None
        endpoints = "\n".join(f"    {svc} = {json.dumps(self.endpoint_url)}" for svc in SERVICES)
        blocks = []
        for alias in aliases:
            alias_line = f"  alias                       = {json.dumps(alias)}\n" if alias else ""
            blocks.append(
                'provider "aws" {\n'
                f"{alias_line}"
                f"  access_key                  = {json.dumps(LOCAL_ACCESS_KEY)}\n"
                f"  secret_key                  = {json.dumps(LOCAL_SECRET_KEY)}\n"
                "  skip_credentials_validation = true\n"
                "  skip_metadata_api_check     = true\n"
                "  skip_region_validation      = true\n"
                "  skip_requesting_account_id  = false\n"
                "  s3_use_path_style           = true\n"
                f"  endpoints {{\n{endpoints}\n  }}\n"
                "}\n"
            )
        return "# Generated by lakehouse for the local target. Do not commit.\n" + "\n".join(blocks)


def local_target(endpoint_url: str, region: str = DEFAULT_REGION) -> Target:
    return Target(name="local", region=region, endpoint_url=endpoint_url)


def aws_target(region: str | None = None, profile: str | None = None) -> Target:
    """A real-account target; fails at once, in one line, when the credential chain has nothing."""
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as err:
        raise TargetError(f"--target aws: {err}") from None
    if session.get_credentials() is None:
        raise TargetError(
            "--target aws: no AWS credentials found by the boto3 credential chain "
            "(set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws sso login`)"
        )
    resolved = region or session.region_name
    if not resolved:
        raise TargetError("--target aws: no region set (use --region, AWS_REGION or AWS_DEFAULT_REGION)")
    return Target(name="aws", region=resolved, profile=profile)
