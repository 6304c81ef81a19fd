-- wrk: POST a small chat completion (the Authorization header is given with -H).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"bench","messages":[{"role":"user","content":"How do I reset my password?"}],"max_tokens":32}'
