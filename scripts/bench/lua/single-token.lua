-- wrk script for `npm run bench:traefik`: every request carries the same bearer token, read from
-- the file named by the first script argument (its first line). No request() function is
-- defined, so wrk builds the request once and reuses it: wrk's fastest path.
--   wrk ... -s single-token.lua URL -- TOKEN_FILE
function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open token file")
  local token = file:read("*l")
  file:close()
  assert(token and #token > 0, "empty token file")
  wrk.headers["Authorization"] = "Bearer " .. token
end
