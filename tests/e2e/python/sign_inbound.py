"""Signs an inbound webhook the way a producer's own library does.

    sign_inbound.py standard-webhooks SECRET MSG_ID TIMESTAMP BODY_FILE
    sign_inbound.py slack SECRET TIMESTAMP BODY_FILE

`standard-webhooks` signs with the Standard Webhooks reference library
(`standardwebhooks.Webhook(SECRET).sign`), `slack` with Slack's Python SDK
(`slack_sdk.signature.SignatureVerifier(SECRET).generate_signature`).
TIMESTAMP is in seconds since the Unix epoch. Prints one JSON object on
stdout: {"headers": {name: value}}, the headers the producer sends with
BODY_FILE's bytes. Exits 2 on bad usage.
"""

import datetime
import json
import sys

from slack_sdk.signature import SignatureVerifier
from standardwebhooks.webhooks import Webhook


def standard_webhooks(secret, msg_id, timestamp, body):
    at = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.timezone.utc)
    signature = Webhook(secret).sign(msg_id, at, body.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }


def slack(secret, timestamp, body):
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
    }


SIGNERS = {"standard-webhooks": (standard_webhooks, 4), "slack": (slack, 3)}


def main(argv):
    if len(argv) < 2 or argv[1] not in SIGNERS or len(argv) != SIGNERS[argv[1]][1] + 2:
        print(__doc__, file=sys.stderr)
        return 2
    signer, _ = SIGNERS[argv[1]]
    *args, body_file = argv[2:]
    with open(body_file, "rb") as file:
        body = file.read()
    print(json.dumps({"headers": signer(*args, body)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
