-- wrk script for bench/checkout.py: POST /api/v1/checkout with Bearer tokens.
--
--   wrk -c 32 -t 2 -d 15s -s bench/checkout.lua http://127.0.0.1:5099 -- TOKENS PRODUCT_IDS
--
-- TOKENS and PRODUCT_IDS are comma-separated. Each request takes the next token and a
-- random basket of 1-3 distinct products, 1-2 units each. done() prints one line,
-- "WRK_RESULT {json}", with the latency percentiles and the count of each HTTP status
-- summed over wrk's threads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local function split(text)
  local out = {}
  for item in string.gmatch(text or "", "[^,]+") do
    out[#out + 1] = item
  end
  return out
end

local tokens, products, counter
local prefix = '{"contact":{"full_name":"Khách thử tải","phone":"0912345678","email":"bench@example.vn"},'
  .. '"shipping_address":{"line1":"Số 1 Trần Hưng Đạo","ward":"Phường Hồng Gai","province":"Quảng Ninh"},'
  .. '"payment_method":"vietqr","items":['

function init(args)
  tokens, products = split(args[1]), split(args[2])
  counter = thread_no
  statuses = {}
  math.randomseed(7919 * thread_no)
end

function request()
  counter = counter + 1
  local token = tokens[(counter % #tokens) + 1]
  local wanted = math.random(1, math.min(3, #products))
  local picked, items = {}, {}
  while #items < wanted do
    local pid = products[math.random(#products)]
    if not picked[pid] then
      picked[pid] = true
      items[#items + 1] = '{"product_id":' .. pid .. ',"quantity":' .. math.random(1, 2) .. '}'
    end
  end
  return wrk.format("POST", "/api/v1/checkout",
    { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
    prefix .. table.concat(items, ",") .. "]}")
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    parts[#parts + 1] = string.format('"%s":%d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"duration_us":%d,"requests":%d,"p50_us":%d,"p95_us":%d,"max_us":%d,'
      .. '"socket_errors":%d,"statuses":{%s}}\n',
    summary.duration, summary.requests, math.floor(latency:percentile(50)),
    math.floor(latency:percentile(95)), math.floor(latency.max),
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(parts, ",")))
end
