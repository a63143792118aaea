// asc-target: guest
// A real http-wasm guest built on assembly/abi, for host-tests/abi. It answers with JSON
// describing what the ABI layer read, or performs the action named by the request header
// `x-probe-action` (see the switch in handle_request). Built with the `guest` target: no `env`
// imports, abort wired to guestAbort, top-level code run from the exported `_start`.
import {
  addHeaderValue, BodyKind, enableFeatures, getConfigBytes, getHeaderNames, getHeaderValues,
  getHeaderValuesRaw, getMethod, getProtocolVersion, getSourceAddr, getUri, HeaderKind,
  lastValueTooLarge, log, logEnabled, LogLevel, removeHeader, scratchCapacity, setHeaderValue,
  setStatusCode, writeBodyString,
} from "../abi/host";
import { get_header_names, get_status_code, get_uri } from "../abi/imports";
import { decodeUtf8LossyUnsafe } from "../abi/utf8";
import { nowUnixMillis, nowUnixSeconds, preopenNames, readFileLimited } from "../abi/wasi";

// Read once by _start: proves the host runs start functions and serves config before
// the first request.
const initConfig = getConfigBytes();
let requestCount: i32 = 0;

const CTX_PLAIN = 1;
const CTX_MUTATE_LATE = 2;
const CTX_STATUS_LATE = 3;

// ---- tiny JSON writer (test code: clarity over speed) --------------------------------------------

function hex2(b: u32): string {
  const digits = "0123456789abcdef";
  return digits.charAt(<i32>(b >> 4)) + digits.charAt(<i32>(b & 15));
}

function jsonString(s: string): string {
  let parts = new Array<string>(0);
  parts.push("\"");
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5C || c < 0x20) {
      parts.push(s.substring(runStart, i));
      if (c == 0x22) parts.push("\\\"");
      else if (c == 0x5C) parts.push("\\\\");
      else parts.push("\\u00" + hex2(<u32>c));
      runStart = i + 1;
    }
  }
  parts.push(s.substring(runStart));
  parts.push("\"");
  return parts.join("");
}

function jsonStrings(list: string[]): string {
  let parts = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) parts[i] = jsonString(list[i]);
  return "[" + parts.join(",") + "]";
}

function bytesToString(b: Uint8Array): string {
  return decodeUtf8LossyUnsafe(b.dataStart, <usize>b.length);
}

function bytesToHex(b: Uint8Array): string {
  let parts = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) parts[i] = hex2(<u32>b[i]);
  return parts.join("");
}

function parseNonNegative(s: string, fallback: i32): i32 {
  if (s.length == 0 || s.length > 9) return fallback;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return fallback;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function firstRequestValue(name: string): string {
  let values = getHeaderValues(HeaderKind.Request, name);
  return values.length > 0 ? values[0] : "";
}

function respond(status: i32, contentType: string, body: string): i64 {
  setHeaderValue(HeaderKind.Response, "content-type", contentType);
  setStatusCode(status);
  writeBodyString(BodyKind.Response, body);
  return 0; // next = 0: the guest answered
}

function boolJson(b: bool): string { return b ? "true" : "false"; }

// ---- actions ------------------------------------------------------------------------------------

function echo(): i64 {
  let names = getHeaderNames(HeaderKind.Request);
  let namesTooLarge = lastValueTooLarge();
  let headerParts = new Array<string>(0);
  let tooLargeNames = new Array<string>(0);
  for (let i = 0; i < names.length; i++) {
    let values = getHeaderValues(HeaderKind.Request, names[i]);
    if (lastValueTooLarge()) tooLargeNames.push(names[i]);
    headerParts.push(jsonString(names[i]) + ":" + jsonStrings(values));
  }
  let config = getConfigBytes();
  let configTooLarge = lastValueTooLarge();
  let levels = new Array<string>(0);
  for (let level = -1; level <= 3; level++) levels.push(boolJson(logEnabled(level)));
  let body = "{"
    + "\"method\":" + jsonString(getMethod())
    + ",\"uri\":" + jsonString(getUri())
    + ",\"protocol\":" + jsonString(getProtocolVersion())
    + ",\"sourceAddr\":" + jsonString(getSourceAddr())
    + ",\"headerNames\":" + jsonStrings(names)
    + ",\"headerNamesTooLarge\":" + boolJson(namesTooLarge)
    + ",\"headers\":{" + headerParts.join(",") + "}"
    + ",\"tooLargeHeaders\":" + jsonStrings(tooLargeNames)
    + ",\"config\":" + jsonString(bytesToString(config))
    + ",\"configLength\":" + config.length.toString()
    + ",\"configTooLarge\":" + boolJson(configTooLarge)
    + ",\"initConfig\":" + jsonString(bytesToString(initConfig))
    + ",\"nowSeconds\":" + nowUnixSeconds().toString()
    + ",\"nowMillis\":" + nowUnixMillis().toString()
    + ",\"requestCount\":" + requestCount.toString()
    + ",\"scratchBytes\":" + scratchCapacity().toString()
    + ",\"logEnabled\":[" + levels.join(",") + "]"
    + "}";
  return respond(200, "application/json", body);
}

function readFile(): i64 {
  let path = firstRequestValue("x-probe-path");
  let max = parseNonNegative(firstRequestValue("x-probe-max"), 1024);
  let r = readFileLimited(path, max);
  let body = "{"
    + "\"ok\":" + boolJson(r.ok)
    + ",\"error\":" + jsonString(r.error)
    + ",\"text\":" + jsonString(bytesToString(r.data))
    + ",\"length\":" + r.data.length.toString()
    + ",\"preopens\":" + jsonStrings(preopenNames())
    + "}";
  return respond(200, "application/json", body);
}

// Applies x-probe-set / x-probe-add ("name=value" per header value) and x-probe-remove (names)
// to the request, then lets it through to upstream.
function mutate(ctx: i64): i64 {
  let sets = getHeaderValues(HeaderKind.Request, "x-probe-set");
  for (let i = 0; i < sets.length; i++) {
    let eq = sets[i].indexOf("=");
    if (eq > 0) setHeaderValue(HeaderKind.Request, sets[i].substring(0, eq), sets[i].substring(eq + 1));
  }
  let adds = getHeaderValues(HeaderKind.Request, "x-probe-add");
  for (let i = 0; i < adds.length; i++) {
    let eq = adds[i].indexOf("=");
    if (eq > 0) addHeaderValue(HeaderKind.Request, adds[i].substring(0, eq), adds[i].substring(eq + 1));
  }
  let removes = getHeaderValues(HeaderKind.Request, "x-probe-remove");
  for (let i = 0; i < removes.length; i++) removeHeader(HeaderKind.Request, removes[i]);
  return (ctx << 32) | 1;
}

function deny(): i64 {
  let challenge = firstRequestValue("x-probe-challenge");
  if (challenge.length > 0) setHeaderValue(HeaderKind.Response, "www-authenticate", challenge);
  return respond(parseNonNegative(firstRequestValue("x-probe-status"), 401), "text/plain", "denied");
}

// The wrong order: status first, header after. Traefik drops the header unless buffer_response.
function statusFirst(): i64 {
  setStatusCode(parseNonNegative(firstRequestValue("x-probe-status"), 401));
  setHeaderValue(HeaderKind.Response, "www-authenticate", "Bearer late");
  writeBodyString(BodyKind.Response, "status first");
  return 0;
}

function rawAuthorization(): i64 {
  let values = getHeaderValuesRaw(HeaderKind.Request, "authorization");
  let hex = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) hex[i] = bytesToHex(values[i]);
  let decoded = getHeaderValues(HeaderKind.Request, "authorization");
  return respond(200, "application/json", "{\"hex\":" + jsonStrings(hex) + ",\"decoded\":" + jsonStrings(decoded) + "}");
}

// Calls the raw imports with a 1-byte limit over a buffer of 0xAA to show the host writes
// nothing when the value does not fit, and still reports the full length.
const limitProbe = memory.data(64);
function rawLimit(): i64 {
  memory.fill(limitProbe, 0xAA, 64);
  let uriLen = get_uri(limitProbe, 1);
  let uriUntouched = true;
  for (let i = 0; i < 64; i++) if (load<u8>(limitProbe + i) != 0xAA) uriUntouched = false;
  let names = get_header_names(0, limitProbe, 1);
  let namesUntouched = true;
  for (let i = 0; i < 64; i++) if (load<u8>(limitProbe + i) != 0xAA) namesUntouched = false;
  return respond(200, "application/json", "{"
    + "\"uriLen\":" + uriLen.toString()
    + ",\"uriUntouched\":" + boolJson(uriUntouched)
    + ",\"namesCount\":" + (<u32>(names >>> 32)).toString()
    + ",\"namesBytes\":" + (<u32>names).toString()
    + ",\"namesUntouched\":" + boolJson(namesUntouched)
    + "}");
}

// What the never-trap guards return for inputs the host would panic on.
function guards(): i64 {
  let emptyValues = getHeaderValues(HeaderKind.Request, "");
  let emptySet = setHeaderValue(HeaderKind.Request, "", "x");
  let badKind = getHeaderNames(<HeaderKind>7);
  let badStatus = setStatusCode(42);
  return respond(200, "application/json", "{"
    + "\"emptyNameValues\":" + emptyValues.length.toString()
    + ",\"emptyNameSet\":" + boolJson(emptySet)
    + ",\"badKindNames\":" + badKind.length.toString()
    + ",\"badStatusAccepted\":" + boolJson(badStatus)
    + "}");
}

function logs(): i64 {
  for (let level = -1; level <= 3; level++) log(level, "probe log " + level.toString());
  log(LogLevel.Info, "non-ascii: \u00e9\u{1F600}");
  return respond(200, "text/plain", "logged");
}

function features(): i64 {
  let asked = parseNonNegative(firstRequestValue("x-probe-features"), 0);
  let enabled = enableFeatures(asked);
  // With buffer_response on, a header after the status is still sent (this shows the host models it).
  setStatusCode(202);
  setHeaderValue(HeaderKind.Response, "x-after-status", "kept?");
  writeBodyString(BodyKind.Response, "{\"enabled\":" + enabled.toString() + "}");
  return 0;
}

// ---- exports ------------------------------------------------------------------------------------

export function handle_request(): i64 {
  requestCount++;
  let action = firstRequestValue("x-probe-action");
  if (action == "file") return readFile();
  if (action == "mutate") return mutate(CTX_PLAIN);
  if (action == "mutate-late") return mutate(CTX_MUTATE_LATE);
  if (action == "status-late") return mutate(CTX_STATUS_LATE);
  // Traefik's host panics here unless buffer_response is enabled (it type-asserts the writer).
  if (action == "get-status") return respond(<i32>get_status_code(), "text/plain", "unreachable without buffering");
  if (action == "deny") return deny();
  if (action == "status-first") return statusFirst();
  if (action == "headers-only") {
    setHeaderValue(HeaderKind.Response, "x-only", "yes");
    return 0;
  }
  if (action == "raw") return rawAuthorization();
  if (action == "raw-limit") return rawLimit();
  if (action == "guards") return guards();
  if (action == "log") return logs();
  if (action == "features") return features();
  if (action == "trap") throw new Error("probe asked to trap");
  return echo();
}

export function handle_response(reqCtx: i32, isError: i32): void {
  log(LogLevel.Info, "handle_response ctx=" + reqCtx.toString() + " isError=" + isError.toString());
  // Traefik panics on this (request headers are frozen once next ran): the host must trap.
  if (reqCtx == CTX_MUTATE_LATE) setHeaderValue(HeaderKind.Request, "x-late", "1");
  // Same without buffer_response: the upstream already sent the status line.
  if (reqCtx == CTX_STATUS_LATE) setStatusCode(500);
}
