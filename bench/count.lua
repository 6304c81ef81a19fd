-- wrk script: POST the JSON request body in $BODY and count the answers by
-- status (200, 402, anything else), printed at the end.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, payment, other = 0, 0, 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 402 then
    payment = payment + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local o, p, x = 0, 0, 0
  for _, t in ipairs(threads) do
    o = o + t:get("ok")
    p = p + t:get("payment")
    x = x + t:get("other")
  end
  io.write(string.format("answers: %d ok, %d payment-required, %d other\n", o, p, x))
end
