"""python-digest: a Weir transformer written in Python (componentize-py).

This module is the WIT adapter for world `transformer` of `weir:pack@0.1.0`:
it exports `outbound.transform` by defining a class named after the
interface (`Outbound`), converts the WIT `event` record into plain values
for `digest.py`, and maps `digest.DigestError` onto the WIT
`transform-error` variant, raised as `Err(...)` (how componentize-py
returns the error case of a `result`).

Everything is imported at module level on purpose: componentize-py
snapshots the interpreter after importing this module at build time, and
the component has no filesystem to import anything from later.
"""

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import host, types

import digest

#: WIT `transform-error` cases by their WIT name.
ERRORS = {
    "invalid-config": types.TransformError_InvalidConfig,
    "unsupported-event": types.TransformError_UnsupportedEvent,
    "skip": types.TransformError_Skip,
    "failed": types.TransformError_Failed,
}


class Outbound(exports.Outbound):
    """The `outbound` interface: one call per delivery attempt, on a fresh instance."""

    def transform(self, event: types.Event, config: str) -> types.Outgoing:
        """Returns the digest as `application/json`, or raises `Err(TransformError_*)`."""
        try:
            settings = digest.parse_config(config)
            body = digest.make_digest(
                event.event_type, event.subject, event.time, event.data, settings
            )
        except digest.DigestError as error:
            raise Err(ERRORS[error.kind](error.message)) from None
        except Exception as error:  # a bug here must not trap the sandbox
            host.log(host.LogLevel.ERROR, f"python-digest failed: {error!r}")
            raise Err(types.TransformError_Failed(f"python-digest failed: {error!r}")) from None
        return types.Outgoing(
            body=digest.to_json_bytes(body),
            content_type="application/json",
            headers=[],
        )
