// Go net/http's ResponseWriter as seen by an http-wasm guest in Traefik (no buffering), and
// http-wasm-host-go's bufferingResponseWriter used when the guest enables buffer_response.
//
// The fact that matters most: WriteHeader (set_status_code, or the first body write) sends the
// status line and snapshots the headers at once. Header changes after that still land in the
// live map (the guest can read them back) but never reach the client; we record a warning.
import { GoHeader } from './goHeader.js';

/** A Go panic raised by host code; becomes a trap of the guest call like in wazero. */
export class HostPanic extends Error {}

export interface ResponseWriter {
  header(): GoHeader;
  writeHeader(code: number): void;
  write(bytes: Uint8Array): void;
}

export class RawResponseWriter implements ResponseWriter {
  private readonly live = new GoHeader();
  status: number | null = null;
  private sent: GoHeader | null = null;
  private readonly chunks: Buffer[] = [];

  constructor(private readonly warnings: string[]) {}

  header(): GoHeader {
    return this.live;
  }

  get headerWritten(): boolean {
    return this.status !== null;
  }

  writeHeader(code: number): void {
    if (this.status !== null) {
      this.warnings.push(`http: superfluous response.WriteHeader call (status ${code} ignored, ${this.status} already sent)`);
      return;
    }
    if (!Number.isInteger(code) || code < 100 || code > 999) throw new HostPanic(`invalid WriteHeader code ${code}`);
    if (code >= 100 && code <= 199 && code !== 101) {
      this.warnings.push(`informational status ${code} sent; the final status is still to come`);
      return;
    }
    this.status = code;
    this.sent = this.live.clone();
  }

  write(bytes: Uint8Array): void {
    if (this.status === null) this.writeHeader(200);
    if (bytes.length) this.chunks.push(Buffer.from(bytes));
  }

  /** Notes a header change made after the status line was sent (it will not be sent). */
  noteHeaderChange(op: string, name: string): void {
    if (this.status !== null) {
      this.warnings.push(`response header ${op} "${name}" after the status was written: dropped (set headers before set_status_code)`);
    }
  }

  /** What the client receives: 200 with the live headers when nothing was written (Go's finishRequest). */
  result(): { status: number; header: GoHeader; body: Buffer } {
    return { status: this.status ?? 200, header: this.sent ?? this.live, body: Buffer.concat(this.chunks) };
  }
}

export class BufferingResponseWriter implements ResponseWriter {
  statusCode = 0;
  body: Buffer = Buffer.alloc(0);

  constructor(readonly delegate: RawResponseWriter) {}

  header(): GoHeader {
    return this.delegate.header();
  }

  writeHeader(code: number): void {
    this.statusCode = code;
  }

  write(bytes: Uint8Array): void {
    this.body = Buffer.concat([this.body, Buffer.from(bytes)]);
  }

  /** Sends what was buffered (deferred in the host's ServeHTTP, after handle_response). */
  release(): void {
    if (this.statusCode !== 0) this.delegate.writeHeader(this.statusCode);
    if (this.body.length !== 0) this.delegate.write(this.body);
  }
}
