-- wrk: sign in with the benchmark account (bench/bitstride.sh creates it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@example.com","password":"correct horse battery"}'
