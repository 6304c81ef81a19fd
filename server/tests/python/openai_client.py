"""The official OpenAI Python client against the Bitstride gateway, unchanged.

Usage: python openai_client.py BASE_URL API_KEY MODEL

BASE_URL is the gateway (the client appends /chat/completions to BASE_URL/v1);
MODEL is a deployment's subdomain. Prints one line per check and exits non-zero
on the first failure.
"""

import sys

import openai


def main() -> None:
    base, key, model = sys.argv[1:4]
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0)

    done = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hello from the official client"}]
    )
    assert done.choices[0].message.content == "hello from the official client", done
    assert done.usage is not None and done.usage.total_tokens > 0, done.usage
    print(f"completion: {done.choices[0].message.content!r} ({done.usage.total_tokens} tokens)")

    pieces = []
    for chunk in client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "streamed word by word"}], stream=True
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    assert "".join(pieces) == "streamed word by word", pieces
    print(f"stream: {len(pieces)} chunks -> {''.join(pieces)!r}")

    try:
        client.chat.completions.create(model="no-such-deployment", messages=[{"role": "user", "content": "x"}])
        raise AssertionError("an unknown deployment should be refused")
    except openai.NotFoundError as e:
        assert e.body["code"] == "not_found", e.body
        print(f"error: {e.status_code} {e.body['code']}")


if __name__ == "__main__":
    main()
