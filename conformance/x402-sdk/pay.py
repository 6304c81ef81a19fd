"""Signs an x402 payment with the official x402 Python SDK, for the Bindu tests.

Usage: pay.py PAYMENT-REQUIRED MODE...

PAYMENT-REQUIRED is the header a paid agent answered (base64 of an x402 v2
PaymentRequired). Prints, one line per MODE, the PAYMENT-SIGNATURE header value
the SDK makes for it with the fixed test key 0x11...11. A MODE other than `ok`
tampers with what is signed while the unsigned `accepted` echo stays the agent's
requirement:

  ok           as the SDK makes it
  other-to     the authorization pays another address
  lower-value  the authorization is for one atomic unit less than the price
  expired      the authorization's validity window has passed
  other-key    signed by the key 0x22...22 but naming the test key's address as payer
"""

import base64
import copy
import json
import sys
import time

from eth_account import Account
from x402 import x402ClientSync
from x402.http.utils import decode_payment_required_header
from x402.http.x402_http_client import x402HTTPClientSync
from x402.mechanisms.evm.exact import client as exact_client
from x402.mechanisms.evm.exact.register import register_exact_evm_client

PAYER_KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
OTHER_ADDRESS = "0x000000000000000000000000000000000000dEaD"


def sign(required_header: str, key: str) -> dict:
    """The SDK's payment payload (as JSON) for the PaymentRequired header, signed with key."""
    client = x402ClientSync()
    register_exact_evm_client(client, Account.from_key(key))
    http = x402HTTPClientSync(client)
    payload = http.create_payment_payload(decode_payment_required_header(required_header))
    (value,) = http.encode_payment_signature_header(payload).values()
    return json.loads(base64.b64decode(value))


def with_requirement(required_header: str, edit) -> str:
    """The PaymentRequired header with its first requirement edited."""
    required = json.loads(base64.b64decode(required_header))
    edit(required["accepts"][0])
    return base64.b64encode(json.dumps(required).encode()).decode()


def payment(required_header: str, mode: str) -> str:
    """The header value for one mode."""
    original = json.loads(base64.b64decode(required_header))["accepts"][0]
    if mode == "ok":
        payload = sign(required_header, PAYER_KEY)
    elif mode == "other-to":
        payload = sign(with_requirement(required_header, lambda r: r.update(payTo=OTHER_ADDRESS)), PAYER_KEY)
    elif mode == "lower-value":
        lower = str(int(original["amount"]) - 1)
        payload = sign(with_requirement(required_header, lambda r: r.update(amount=lower)), PAYER_KEY)
    elif mode == "expired":
        real = exact_client.time.time
        exact_client.time.time = lambda: real() - 7200
        try:
            payload = sign(required_header, PAYER_KEY)
        finally:
            exact_client.time.time = real
    elif mode == "other-key":
        payload = sign(required_header, OTHER_KEY)
        payload["payload"]["authorization"]["from"] = Account.from_key(PAYER_KEY).address
    else:
        sys.exit(f"unknown mode {mode}")
    payload["accepted"] = copy.deepcopy(original)
    return base64.b64encode(json.dumps(payload).encode()).decode()


def main() -> None:
    for mode in sys.argv[2:]:
        print(payment(sys.argv[1], mode))


if __name__ == "__main__":
    main()
