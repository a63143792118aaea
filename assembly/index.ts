// Placeholder entry: replaced by the real exports module.
export function handle_request(): i64 { return 1; }
export function handle_response(reqCtx: i32, isError: i32): void {}
