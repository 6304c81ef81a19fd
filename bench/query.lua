-- wrk script: POST /query with a free-text search over the demo corpus.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query": "port logistics tenders", "size": 10}'
