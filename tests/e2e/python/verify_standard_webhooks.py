"""Verifies saved deliveries with the Standard Webhooks reference library.

    verify_standard_webhooks.py SECRET REQUEST.json...

Each REQUEST.json is a request as the end-to-end suite's receiver saved it:
{"headers": {"webhook-id": ..., ...}, "body_base64": "..."}. Prints one JSON
array on stdout: for each file, {"file", "ok", "error"} where `ok` means
`standardwebhooks.Webhook(SECRET).verify(body, headers)` accepted it.
Exits 0 whatever the verdicts (the test judges them); 2 on bad usage.
"""

import base64
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    webhook = Webhook(argv[1])
    results = []
    for path in argv[2:]:
        with open(path, encoding="utf-8") as file:
            request = json.load(file)
        body = base64.b64decode(request["body_base64"])
        try:
            webhook.verify(body, request["headers"], json_parse=False)
            results.append({"file": path, "ok": True, "error": None})
        except WebhookVerificationError as error:
            results.append({"file": path, "ok": False, "error": str(error)})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
