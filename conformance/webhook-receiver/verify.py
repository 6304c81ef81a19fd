"""The README's webhook verification, run by the Bindu webhook test: checks the
deliveries given on stdin (JSON: a list of {"headers": {...}, "body": base64})
against the agent at argv[1] and prints a JSON list of booleans. The README
quotes the part between the two marker lines, and the test checks it does."""

# README begin
import json, time, urllib.parse, urllib.request

import base58  # pip install pynacl base58
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


def agent_key(agent_url):
    """The agent's Ed25519 key: its DID from the card, the key from /did/resolve."""
    card = json.load(urllib.request.urlopen(f"{agent_url}/.well-known/agent.json"))
    did = card["capabilities"]["extensions"][0]["uri"]
    query = urllib.parse.urlencode({"did": did})
    document = json.load(urllib.request.urlopen(f"{agent_url}/did/resolve?{query}"))
    return VerifyKey(base58.b58decode(document["authentication"][0]["publicKeyBase58"]))


def is_genuine(key, headers, body, max_age=300):
    """Whether `body` (the raw request bytes) was signed by the agent recently."""
    timestamp = headers.get("X-Bindu-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > max_age:
        return False
    try:
        signature = base58.b58decode(headers.get("X-Bindu-Signature", ""))
        key.verify(timestamp.encode() + b"." + body, signature)
        return True
    except (BadSignatureError, ValueError):
        return False
# README end

import base64
import sys


def main():
    key = agent_key(sys.argv[1])
    deliveries = json.load(sys.stdin)
    print(json.dumps([
        is_genuine(key, d["headers"], base64.b64decode(d["body"])) for d in deliveries
    ]))


if __name__ == "__main__":
    main()
