"""The python-digest transformer's logic, in plain Python (standard library only).

Turns any event into a compact digest::

    {"title": "<prefix><type> <subject>", "summary": "<one line>",
     "fields": {"<name>": <scalar>, ...}, "link": "<url>" | null}

with special cases for ``github.push`` and ``github.pull_request``. Events
whose type starts with ``internal.`` are refused.

Nothing here imports the WIT bindings, so this module runs (and is unit
tested) with an ordinary ``python3``; ``app.py`` maps it onto the WIT world.
"""

import json
from dataclasses import dataclass

#: Configuration fields and their defaults.
DEFAULT_MAX_FIELDS = 10
#: ``max_fields`` may be 0 (no fields) up to this many.
MAX_FIELDS_LIMIT = 100
#: ``title_prefix`` may be at most this many characters.
MAX_PREFIX_CHARS = 64
#: Strings in ``summary`` and ``fields`` are cut to this many characters.
MAX_TEXT_CHARS = 200
#: Generic events: nested objects are flattened this many levels deep.
MAX_DEPTH = 3
#: Event types with this prefix are the engine's own and are refused.
REFUSED_PREFIX = "internal."
#: Generic events: the first of these top-level strings becomes the summary.
SUMMARY_KEYS = ("summary", "title", "message", "description", "text", "name")
#: Generic events: the first of these top-level URLs becomes the link.
LINK_KEYS = ("html_url", "url", "link")


class DigestError(Exception):
    """Why no digest was made; ``kind`` is a WIT ``transform-error`` case name."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def invalid_config(message: str) -> DigestError:
    """An ``invalid-config`` error."""
    return DigestError("invalid-config", message)


def unsupported(message: str) -> DigestError:
    """An ``unsupported-event`` error."""
    return DigestError("unsupported-event", message)


@dataclass(frozen=True)
class Config:
    """The rule's configuration, validated."""

    max_fields: int = DEFAULT_MAX_FIELDS
    title_prefix: str = ""


def parse_config(text: str) -> Config:
    """Parses the rule configuration (JSON text); unknown keys are refused by name."""
    try:
        raw = json.loads(text) if text.strip() else {}
    except ValueError as error:
        raise invalid_config(f"configuration is not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise invalid_config("configuration must be a JSON object such as {\"max_fields\": 10}")
    known = ("max_fields", "title_prefix")
    for key in raw:
        if key not in known:
            raise invalid_config(
                f"unknown configuration field `{key}`; expected one of: {', '.join(known)}"
            )
    max_fields = raw.get("max_fields", DEFAULT_MAX_FIELDS)
    if isinstance(max_fields, bool) or not isinstance(max_fields, int) or not (
        0 <= max_fields <= MAX_FIELDS_LIMIT
    ):
        raise invalid_config(
            f"`max_fields` must be an integer from 0 to {MAX_FIELDS_LIMIT}, got {json.dumps(max_fields)}"
        )
    title_prefix = raw.get("title_prefix", "")
    if not isinstance(title_prefix, str) or len(title_prefix) > MAX_PREFIX_CHARS:
        raise invalid_config(
            f"`title_prefix` must be a string of at most {MAX_PREFIX_CHARS} characters"
        )
    return Config(max_fields=max_fields, title_prefix=title_prefix)


def make_digest(event_type: str, subject, time: str, data_text: str, config: Config) -> dict:
    """The digest of one event; raises :class:`DigestError`."""
    if event_type.startswith(REFUSED_PREFIX):
        raise unsupported(
            f"python-digest does not digest `{REFUSED_PREFIX}*` events (got `{event_type}`)"
        )
    try:
        data = json.loads(data_text)
    except ValueError as error:
        raise unsupported(f"`{event_type}` data is not JSON: {error}") from None
    if event_type == "github.push":
        subject_hint, summary, fields, link = github_push(require_object(event_type, data))
    elif event_type == "github.pull_request":
        subject_hint, summary, fields, link = github_pull_request(require_object(event_type, data))
    else:
        subject_hint, summary, fields, link = generic(event_type, time, data, config.max_fields)
    subject = subject or subject_hint
    title = config.title_prefix + event_type + (f" {subject}" if subject else "")
    kept = dict(list(fields.items())[: config.max_fields])
    return {"title": title, "summary": summary, "fields": kept, "link": link}


def to_json_bytes(digest: dict) -> bytes:
    """Compact UTF-8 JSON, as sent to the destination."""
    return json.dumps(digest, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- github ---------------------------------------------------------------


def github_push(data: dict):
    """``github.push``: who pushed how many commits where, one field per commit."""
    ref = require_str(data, "github.push", "ref")
    repo = require_str(data.get("repository"), "github.push", "repository.full_name", "full_name")
    pusher = require_str(data.get("pusher"), "github.push", "pusher.name", "name")
    commits = [c for c in data.get("commits") or [] if isinstance(c, dict)]
    if data.get("deleted") is True:
        summary = f"{pusher} deleted {ref} on {repo}"
    else:
        verb = "force-pushed" if data.get("forced") is True else "pushed"
        noun = "commit" if len(commits) == 1 else "commits"
        summary = f"{pusher} {verb} {len(commits)} {noun} to {ref} on {repo}"
    fields = {"repository": repo, "ref": ref, "pusher": pusher, "commits": len(commits)}
    for commit in commits[:MAX_FIELDS_LIMIT]:
        sha = commit.get("id")
        if isinstance(sha, str) and sha:
            fields[sha[:7]] = clip(first_line(commit.get("message")))
    link = first_url(data.get("compare"), (data.get("head_commit") or {}).get("url"))
    return ref, clip(summary), fields, link


def github_pull_request(data: dict):
    """``github.pull_request``: the action, the PR's title and its branches."""
    event = "github.pull_request"
    pull = data.get("pull_request")
    if not isinstance(pull, dict):
        raise unsupported(f"`{event}` data has no object `pull_request`")
    number = data.get("number", pull.get("number"))
    if isinstance(number, bool) or not isinstance(number, int):
        raise unsupported(f"`{event}` data has no integer `number`")
    title = require_str(pull, event, "pull_request.title", "title")
    repo = require_str(data.get("repository"), event, "repository.full_name", "full_name")
    action = data.get("action") if isinstance(data.get("action"), str) else "updated"
    if action == "closed" and pull.get("merged") is True:
        action = "merged"
    actor = login(data.get("sender")) or login(pull.get("user")) or "someone"
    summary = f"{actor} {action} pull request #{number} \u201c{first_line(title)}\u201d on {repo}"
    fields = {
        "repository": repo,
        "number": number,
        "action": action,
        "author": login(pull.get("user")),
        "state": pull.get("state"),
        "base": (pull.get("base") or {}).get("ref"),
        "head": (pull.get("head") or {}).get("ref"),
        "draft": pull.get("draft"),
        "commits": pull.get("commits"),
        "changes": changes(pull),
    }
    fields = {key: value for key, value in fields.items() if value is not None}
    return f"{repo}#{number}", clip(summary), fields, first_url(pull.get("html_url"))


def changes(pull: dict):
    """``+additions -deletions in N files`` when GitHub sent the counts, else ``None``."""
    counts = [pull.get(k) for k in ("additions", "deletions", "changed_files")]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in counts):
        return None
    noun = "file" if counts[2] == 1 else "files"
    return f"+{counts[0]} -{counts[1]} in {counts[2]} {noun}"


def login(user) -> str:
    """``user.login`` when present, else ``""``."""
    value = user.get("login") if isinstance(user, dict) else None
    return value if isinstance(value, str) else ""


# --- any other event ------------------------------------------------------


def generic(event_type: str, time: str, data, limit: int):
    """Any other event: a summary string, up to ``limit`` flattened fields and a URL."""
    if isinstance(data, dict):
        summary = next(
            (data[k] for k in SUMMARY_KEYS if isinstance(data.get(k), str) and data[k].strip()),
            None,
        )
        link = first_url(*(data.get(k) for k in LINK_KEYS))
        fields = flatten(data, limit)
    else:
        summary = data if isinstance(data, str) and data.strip() else None
        link, fields = None, {}
    summary = clip(first_line(summary)) if summary else ""
    return None, summary or f"{event_type} at {time}", fields, link


def flatten(data: dict, limit: int, prefix: str = "", depth: int = 1) -> dict:
    """Up to ``limit`` scalars by dotted path in document order; lists as a
    count, nulls left out. Stops early so a 1 MiB payload stays cheap."""
    fields = {}
    for key, value in data.items():
        if len(fields) >= limit:
            break
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if depth < MAX_DEPTH:
                fields.update(flatten(value, limit - len(fields), f"{name}.", depth + 1))
        elif isinstance(value, list):
            fields[name] = f"{len(value)} item" + ("" if len(value) == 1 else "s")
        elif isinstance(value, str):
            fields[name] = clip(value)
        elif value is not None:
            fields[name] = value
    return fields


# --- helpers --------------------------------------------------------------


def require_object(event_type: str, data) -> dict:
    """``data`` itself, which must be a JSON object."""
    if not isinstance(data, dict):
        raise unsupported(f"`{event_type}` data must be a JSON object")
    return data


def require_str(obj, event_type: str, path: str, key: str = None) -> str:
    """``obj[key or path]`` as a non-empty string, else ``unsupported-event`` naming ``path``."""
    value = obj.get(key or path) if isinstance(obj, dict) else None
    if not isinstance(value, str) or not value:
        raise unsupported(f"`{event_type}` data has no string `{path}`")
    return value


def first_line(text) -> str:
    """The first non-blank line of ``text``, stripped, or ``""``."""
    if not isinstance(text, str):
        return ""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def clip(text: str) -> str:
    """``text`` cut to :data:`MAX_TEXT_CHARS` characters, marked with ``…``."""
    return text if len(text) <= MAX_TEXT_CHARS else text[: MAX_TEXT_CHARS - 1] + "\u2026"


def first_url(*candidates):
    """The first candidate that is an http(s) URL, or ``None``."""
    for value in candidates:
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            return value
    return None
