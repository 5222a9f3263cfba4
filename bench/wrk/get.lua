-- GET one page again and again. The session cookie, if any, comes in with -H "Cookie: ...".
-- /healthz and every page run through this same script, so the Lua cost is the same for all.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local prepared

function init(args)
   prepared = wrk.format("GET", wrk.path)
end

function request()
   count_request()
   return prepared
end
