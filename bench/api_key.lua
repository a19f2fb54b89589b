-- wrk script: runs one of the shared kit's scripts ($LUA_INNER: gql_fixed.lua or
-- gql_slug.lua, from $BENCH_DIR) and adds Chorus's consumer key header,
-- `X-Api-Key: $API_KEY`, to every request. The kit's own AUTH option sends
-- `Authorization: Bearer`, which Chorus keeps for staff tokens.
dofile(os.getenv("BENCH_DIR") .. "/" .. os.getenv("LUA_INNER"))
local key = os.getenv("API_KEY")
local format = wrk.format
wrk.format = function(method, path, headers, body)
  headers = headers or wrk.headers
  headers["X-Api-Key"] = key
  return format(method, path, headers, body)
end
wrk.headers["X-Api-Key"] = key
