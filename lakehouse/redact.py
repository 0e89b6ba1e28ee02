"""Secrets never reach a report: redaction for evidence, artifacts and the HTML page.

Two kinds of rule, because secrets show up two ways:

- by *shape*, wherever they are: AWS access key ids (``AKIA``/``ASIA`` + 16), AWS session
  tokens, GitHub tokens (``ghp_`` ... ``github_pat_``), ``Bearer`` tokens, the password in
  ``scheme://user:password@host`` and PEM private keys;
- by *name*: a value next to a key that names a secret (``secret``, ``token``, ``password``,
  ``credential``, ``authorization``, ``api_key``, ...), as a JSON key in structured data
  (:func:`redact`) or as ``key=value`` / ``key: value`` / ``"Key": "value"`` in text
  (:func:`redact_text`). That catches 40-character secret access keys, which have no
  shape of their own.

Key names and the structure around them stay readable; only the value becomes
:data:`REDACTED`. Over-redacting a harmless value under a secret-sounding key is the
accepted price.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

REDACTED = "***REDACTED***"

#: Key names (case-insensitive substrings) whose values are secrets.
SECRET_KEY_WORDS = ("secret", "token", "password", "passwd", "credential", "authorization", "api_key", "apikey")

_SECRET_WORDS = "|".join(re.escape(w) for w in SECRET_KEY_WORDS) + r"|api-key|private[_-]?key"
_SECRET_KEY = re.compile(_SECRET_WORDS, re.I)


def is_secret_key(name: str) -> bool:
    """Whether a (JSON or ``key=value``) key names a secret."""
    return bool(_SECRET_KEY.search(name))


# -- secrets by shape ---------------------------------------------------------------------------------

_SHAPES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # PEM private keys, whole block.
    (
        re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S),
        f"-----BEGIN PRIVATE KEY-----{REDACTED}-----END PRIVATE KEY-----",
    ),
    # AWS access key ids: long-term (AKIA) and temporary (ASIA).
    (re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"), REDACTED),
    # AWS session tokens (STS): base64 of a protobuf that always starts the same way.
    (re.compile(r"(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=%]{20,}"), REDACTED),
    # GitHub tokens: classic and app tokens, fine-grained personal access tokens.
    (re.compile(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,255}(?![A-Za-z0-9_])"), REDACTED),
    (re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}"), REDACTED),
    # Bearer <token> (Basic credentials are caught by their header or key name instead).
    (re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{16,}"), lambda m: f"{m[1]}{m[2]}{REDACTED}"),
    # The signature of a presigned S3 URL grants access until it expires.
    (re.compile(r"(?i)(X-Amz-Signature=)[0-9a-f]{64}"), lambda m: f"{m[1]}{REDACTED}"),
    # scheme://user:password@host -> keep the user.
    (
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@\"'<>]+):([^/\s@\"'<>]+)@"),
        lambda m: f"{m[1]}{m[2]}:{REDACTED}@",
    ),
]

# -- secrets by name, in text ---------------------------------------------------------------------------

# A key (optionally quoted, quotes possibly JSON-escaped) that names a secret, then = or :.
# Dots are not key characters, so Terraform addresses like `aws_secretsmanager_secret.db: Creating...`
# are left alone; nor is a key right after `:` or `/` (ARNs: `arn:aws:secretsmanager:...`).
_KEY = r"[A-Za-z0-9_-]*(?:" + _SECRET_WORDS + r")[A-Za-z0-9_-]*"
# Quotes may be plain, JSON-escaped (\\") or XML-escaped (&quot;, in junit.xml).
_QUOTE = r"(?:\\?[\"']|&quot;|&#34;|&#39;|&apos;)?"
_KEY_VALUE = re.compile(
    r"(?i)(?P<key>(?P<kq>" + _QUOTE + r")(?<![A-Za-z0-9_:/-])" + _KEY + r"(?P=kq))"
    r"(?P<sep>\s*[:=]\s*)"
    r"(?!(?:null|true|false|none|\(sensitive value\)|\*\*\*REDACTED\*\*\*)(?![A-Za-z0-9]))"
    r"(?P<vq>" + _QUOTE + r")"
    r"(?P<value>(?:bearer\s+|basic\s+|aws4-hmac-sha256\s+)?[^\s\"'\\,;&}\]<>]+)"
)
# Authorization headers carry the credential after a scheme and spaces: take the rest of the line.
_AUTH_HEADER = re.compile(r"(?im)^(\s*(?:proxy-)?authorization\s*:\s*).+$")


def _key_value(m: re.Match[str]) -> str:
    return f"{m['key']}{m['sep']}{m['vq']}{REDACTED}"


def redact_tokens(text: str) -> str:
    """Redact secrets recognisable by their shape alone (safe on any text, even markup)."""
    for pattern, repl in _SHAPES:
        text = pattern.sub(repl, text)
    return text


def redact_text(text: str) -> str:
    """Redact secrets in free text: by shape, and values after secret-named keys."""
    if not text:
        return text
    text = _AUTH_HEADER.sub(lambda m: m[1] + REDACTED, text)
    text = redact_tokens(text)
    return _KEY_VALUE.sub(_key_value, text)


# -- structured data ------------------------------------------------------------------------------------


def _mask(value: Any) -> Any:
    """Everything secret-ish under a secret-named key: strings go, structure and numbers stay."""
    if isinstance(value, str):
        return REDACTED if value else value
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value  # numbers (e.g. a `credential_check` phase time), booleans, None


def redact(data: Any) -> Any:
    """A copy of JSON-like data with secrets replaced; keys and structure unchanged."""
    if isinstance(data, dict):
        return {k: (_mask(v) if isinstance(k, str) and is_secret_key(k) else redact(v)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact(v) for v in data]
    if isinstance(data, str):
        return redact_text(data)
    return data


# -- files ----------------------------------------------------------------------------------------------


def is_text_file(path: Path) -> bool:
    """Text unless the first 8 KB hold a NUL byte or are not UTF-8 (PNGs, archives)."""
    with path.open("rb") as f:
        head = f.read(8192)
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start >= len(head) - 4  # a multi-byte character cut at the 8 KB mark
    return True


def copy_redacted(source: Path, dest: Path) -> None:
    """Copy a file; text is redacted on the way (JSON as data, anything else line by line)."""
    if not is_text_file(source):
        if source.resolve() != dest.resolve():
            shutil.copyfile(source, dest)
        return
    if source.suffix == ".json":
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except ValueError:
            pass
        else:
            dest.write_text(json.dumps(redact(data), indent=2, default=str) + "\n", encoding="utf-8")
            return
    tmp = dest.with_name(dest.name + ".redacting")
    with (
        source.open("r", encoding="utf-8", errors="replace", newline="") as src,
        tmp.open("w", encoding="utf-8", newline="") as out,
    ):
        for chunk in _chunks(src):
            out.write(redact_text(chunk))
    tmp.replace(dest)


_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z ]*PRIVATE KEY-----")
_PEM_MAX_LINES = 200  # far more than any key; a BEGIN without an END does not hold the whole file


def _chunks(lines: Iterable[str]) -> Iterator[str]:
    """Lines one at a time (logs can be large), but a PEM private key block as one piece."""
    block: list[str] = []
    for line in lines:
        if not block:
            begin = _PEM_BEGIN.search(line)
            if begin is None or _PEM_END.search(line, begin.end()):
                yield line
                continue
        block.append(line)
        if _PEM_END.search(line) and len(block) > 1 or len(block) >= _PEM_MAX_LINES:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def redact_file(path: Path) -> None:
    """Redact a file in place (reports written by other tools: junit.xml, cucumber.json)."""
    copy_redacted(path, path)
