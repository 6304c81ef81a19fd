-- wrk script: tasks/get of one task (TASK_ID from the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"' .. os.getenv("TASK_ID") .. '","historyLength":1}}'
