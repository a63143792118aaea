// The guest's exports, and nothing else: the http-wasm ABI entry points Traefik calls.
import { handleRequest } from './plugin/handler';

/** Returns `reqCtx << 32 | next`; we keep no per-request context, so reqCtx is 0. */
export function handle_request(): i64 {
  return <i64>handleRequest();
}

/** Nothing to do after the upstream answered: we never touch the response. */
export function handle_response(reqCtx: i32, isError: i32): void {}
