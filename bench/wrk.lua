-- wrk script for bench/run.py. Arguments after `--`: METHOD BODY (a JSON body, for POST), none for GET.
-- Counts every response by status (wrk's "Non-2xx or 3xx responses" counts only 4xx and 5xx) and prints the
-- figures as one JSON line, exact where wrk's text is rounded.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  if args[1] then
    wrk.method, wrk.body = args[1], args[2]
    wrk.headers["Content-Type"] = "application/json"
  end
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      table.insert(statuses, string.format('"%d": %d', status, n))
    end
  end
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, table.concat(statuses, ", ")))
end
