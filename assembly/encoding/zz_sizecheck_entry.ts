import { parseJsonUnsafe, JsonWriter } from "./json";
import { base64urlDecodeUnsafe } from "./base64url";
export function handle_request(p: usize, n: i32): i64 {
  let d = base64urlDecodeUnsafe(p, n);
  if (d === null) return 0;
  let r = parseJsonUnsafe(d.dataStart, d.length, 16, 8192);
  let w = new JsonWriter(); w.beginObject(); w.key("e"); w.string(r.error); w.key("n"); w.number(r.ok ? r.value!.numberValue : 0); w.endObject();
  return w.toString().length;
}
