-- wrk script for `npm run bench:traefik`: each request carries the next token from a file of
-- pre-minted tokens (one per line), so the plugin's per-instance cache never sees a token twice
-- unless the run outlasts the list. Thread i of n sends tokens i+1, i+1+n, i+1+2n, ... so threads
-- never send the same token; each wraps around to its start after the end of the list.
-- FIRST_INDEX (0-based, default 0) skips tokens an earlier run (the warm-up) already sent.
--   wrk ... -s rotate-tokens.lua URL -- TOKEN_FILE THREADS [FIRST_INDEX]
local threads_started = 0

function setup(thread)
  thread:set("thread_index", threads_started)
  threads_started = threads_started + 1
end

local tokens = {}
local count = 0
local position = 0
local stride = 1
local prefix = ""
local suffix = "\r\n\r\n"

function init(args)
  stride = tonumber(args[2]) or 1
  for line in io.lines(args[1]) do
    if #line > 0 then
      count = count + 1
      tokens[count] = line
    end
  end
  assert(count > 0, "empty token file")
  local first = tonumber(args[3]) or 0
  position = ((first + (thread_index or 0)) % count) + 1
  -- The request as wrk.format would write it, with the token spliced in per request.
  local host = wrk.headers["Host"] or (wrk.host .. ":" .. wrk.port)
  prefix = "GET " .. wrk.path .. " HTTP/1.1\r\nHost: " .. host .. "\r\nAuthorization: Bearer "
end

function request()
  local token = tokens[position]
  position = position + stride
  if position > count then position = position - count end
  return prefix .. token .. suffix
end
