// HTML pages the user sees: consent and errors. Every value that came from a client or the
// upstream is escaped; pages forbid framing and load nothing from elsewhere.
import type { ServerResponse } from 'node:http';

const ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;', '=': '&#61;',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`=]/g, (c) => ESCAPES[c]!);
}

/** Strict page policy: no scripts at all, inline styles only, never framed. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'";

const STYLE = `body{font-family:system-ui,sans-serif;background:#f5f5f5;margin:0;padding:40px 16px;color:#222}
main{max-width:440px;margin:0 auto;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);padding:24px 28px}
h1{font-size:1.3em;margin-top:0}dl{margin:16px 0}dt{font-weight:600;margin-top:10px}dd{margin:2px 0 0 0;word-break:break-all}
ul{padding-left:20px}.warn{color:#8a4b00;font-size:.9em}.actions{display:flex;gap:12px;margin-top:20px}
button{flex:1;font-size:1em;padding:10px;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}
button.primary{background:#1a57c9;color:#fff;border-color:#1a57c9}code{font-size:.9em}`;

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}

export interface ConsentView {
  clientName: string;
  clientId: string;
  /** Where the code will be sent, as the user can judge it (host, or scheme and host). */
  redirectTarget: string;
  scopes: string[];
  resource?: string;
  userEmail?: string;
  action: string;
  csrf: string;
  /** DCR/CIMD clients describe themselves: the page says so. */
  selfRegistered: boolean;
}

export function consentPage(view: ConsentView): string {
  const scopes = view.scopes.length
    ? `<ul>${view.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>`
    : '<p>Basic access (no extra permissions)</p>';
  const nameSameAsId = view.clientName === view.clientId;
  return page(
    'Authorize access',
    `<h1>Authorize ${escapeHtml(view.clientName)}?</h1>
<p>An application wants to access ${view.resource ? `<code>${escapeHtml(view.resource)}</code>` : 'your MCP server'} on your behalf.</p>
<dl>
<dt>Application</dt><dd>${escapeHtml(view.clientName)}${nameSameAsId ? '' : ` <small>(<code>${escapeHtml(view.clientId)}</code>)</small>`}</dd>
<dt>Sends you back to</dt><dd><code>${escapeHtml(view.redirectTarget)}</code></dd>
<dt>Permissions</dt><dd>${scopes}</dd>
${view.userEmail ? `<dt>Signed in as</dt><dd>${escapeHtml(view.userEmail)}</dd>` : ''}
</dl>
${view.selfRegistered ? '<p class="warn">This application registered itself; its name is not verified. Only continue if you just started this sign-in from it.</p>' : ''}
<form method="post" action="${escapeHtml(view.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
<div class="actions">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow" class="primary">Allow</button>
</div>
</form>`,
  );
}

export function errorPage(title: string, message: string, detail?: string): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${detail ? `<p><small>${escapeHtml(detail)}</small></p>` : ''}`,
  );
}

/** How a redirect URI is shown on the consent page. */
export function redirectTarget(redirectUri: string): string {
  const url = URL.parse(redirectUri);
  if (!url) return redirectUri;
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const local = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
    return local ? `${url.host} (an application on this computer)` : url.host;
  }
  return `${url.protocol}//${url.host}`;
}
