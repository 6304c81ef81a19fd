-- wrk script: blocking message/send to the echo agent (answers once the task is completed).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = '{"jsonrpc":"2.0","id":' .. counter .. ',"method":"message/send","params":{"message":' ..
    '{"messageId":"bench-' .. counter .. '","role":"user","parts":[{"kind":"text","text":"benchmark"}]},' ..
    '"configuration":{"blocking":true}}}'
  return wrk.format(nil, nil, nil, body)
end
