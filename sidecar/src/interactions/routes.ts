// Interaction routes: where oidc-provider sends the browser when it needs a login or consent.
//
//   GET  /interaction/:uid          login prompt -> upstream; consent prompt -> consent page
//   POST /interaction/:uid/consent  the consent form (CSRF token bound to the interaction)
//   GET  /interaction/:uid/login    finishes a login the /callback route verified
//   GET  /callback                  the upstream's redirect URI (the old tool's path)
//
// Each interaction route reads the same way: get the details (which checks the browser holds
// this interaction's cookie), assert the prompt, build the result, `interactionFinished`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { readForm } from '../http/body.js';
import { type AccountStore, accountIdFor, accountRefusal } from '../provider/accounts.js';
import type { ConsentIndex } from '../provider/grants.js';
import { UpstreamError, type UpstreamLogin } from '../upstream/upstream-login.js';
import type { LoginStore } from './login-store.js';
import { consentPage, errorPage, redirectTarget, sendHtml } from './pages.js';

export interface InteractionDeps {
  provider: Provider;
  upstream: UpstreamLogin;
  accounts: AccountStore;
  consents: ConsentIndex;
  logins: LoginStore;
  /** Pre-registered clients the operator trusts: consent is implied. */
  trustedClientIds: ReadonlySet<string>;
  allowedEmails: readonly string[];
  /** Issuer path prefix ('' at the root) under which interaction URLs live. */
  mountPath: string;
  /** Key for consent CSRF tokens. */
  csrfKey: Buffer;
  log: Logger;
  metrics: Metrics;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const FORM_LIMIT = 4096;
const REFUSAL_TEXT: Record<string, string> = {
  email_not_allowed: 'This account is not allowed to use this service.',
  email_not_verified: 'The sign-in provider has not verified the email address of this account.',
  email_missing: 'The sign-in provider did not share an email address for this account.',
};

export function createInteractionRoutes(deps: InteractionDeps) {
  const { provider, log, metrics } = deps;

  function csrfToken(uid: string): string {
    return createHmac('sha256', deps.csrfKey).update(`consent\n${uid}`).digest('base64url');
  }

  function csrfValid(uid: string, presented: string | null): boolean {
    if (!presented) return false;
    const expected = Buffer.from(csrfToken(uid));
    const actual = Buffer.from(presented);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** Interaction details, or an error page when the browser lacks the interaction (expired, other browser). */
  async function details(req: IncomingMessage, res: ServerResponse, uid: string): Promise<Details | undefined> {
    let found: Details;
    try {
      found = await provider.interactionDetails(req, res);
    } catch (err) {
      if ((err as { name?: string }).name === 'SessionNotFound') {
        sendHtml(res, 400, errorPage('Sign-in expired', 'This sign-in request has expired or was started in another browser. Start again from your application.'));
        return undefined;
      }
      throw err;
    }
    if (found.uid !== uid) {
      sendHtml(res, 400, errorPage('Sign-in expired', 'This sign-in request does not match this browser. Start again from your application.'));
      return undefined;
    }
    return found;
  }

  async function startLogin(res: ServerResponse, found: Details): Promise<void> {
    const tx = deps.upstream.newTransaction();
    await deps.logins.savePending({ ...tx, uid: found.uid });
    const hint = typeof found.params.login_hint === 'string' ? found.params.login_hint : undefined;
    let target: URL;
    try {
      target = await deps.upstream.authorizationUrl(tx, hint);
    } catch (err) {
      log.error({ event: 'upstream.unavailable', code: (err as { code?: string }).code }, 'upstream discovery failed');
      metrics.logins.inc({ result: 'error' });
      sendHtml(res, 503, errorPage('Sign-in unavailable', 'The sign-in provider cannot be reached right now. Try again in a minute.'));
      return;
    }
    res.statusCode = 303;
    res.setHeader('Location', target.href);
    res.setHeader('Cache-Control', 'no-store');
    res.end();
  }

  async function grantConsent(found: Details): Promise<string> {
    const { prompt, params, session, grantId } = found;
    const accountId = session!.accountId;
    const clientId = params.client_id as string;
    const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId });
    if (!grant) throw new Error('grant vanished during consent');
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const savedId = await grant.save();
    await deps.consents.remember(accountId, clientId, savedId);
    return savedId;
  }

  async function showConsent(res: ServerResponse, found: Details): Promise<void> {
    const client = await provider.Client.find(found.params.client_id as string);
    if (!client) {
      sendHtml(res, 400, errorPage('Unknown application', 'The application that started this sign-in is no longer registered.'));
      return;
    }
    const missing = found.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    const scopes = new Set<string>(missing.missingOIDCScope ?? []);
    for (const list of Object.values(missing.missingResourceScopes ?? {})) list.forEach((s) => scopes.add(s));
    const account = await deps.accounts.find(found.session!.accountId);
    const resource = typeof found.params.resource === 'string' ? found.params.resource : undefined;
    sendHtml(res, 200, consentPage({
      clientName: client.clientName ?? client.clientId,
      clientId: client.clientId,
      redirectTarget: redirectTarget(found.params.redirect_uri as string),
      scopes: [...scopes].filter((s) => s !== 'openid'),
      resource,
      userEmail: account?.email,
      action: `${deps.mountPath}/interaction/${found.uid}/consent`,
      csrf: csrfToken(found.uid),
      selfRegistered: !deps.trustedClientIds.has(client.clientId),
    }));
  }

  /** GET /interaction/:uid */
  async function start(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const found = await details(req, res, uid);
    if (!found) return;
    switch (found.prompt.name) {
      case 'login':
        return startLogin(res, found);
      case 'consent':
        if (deps.trustedClientIds.has(found.params.client_id as string)) {
          const grantId = await grantConsent(found);
          return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        }
        return showConsent(res, found);
      default:
        sendHtml(res, 400, errorPage('Unsupported request', 'This sign-in step is not supported.'));
    }
  }

  /** POST /interaction/:uid/consent */
  async function consent(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const found = await details(req, res, uid);
    if (!found) return;
    const form = await readForm(req, FORM_LIMIT);
    if (found.prompt.name !== 'consent' || !form || !csrfValid(found.uid, form.get('csrf'))) {
      metrics.denials.inc({ reason: 'consent_csrf' });
      log.warn({ event: 'consent.rejected', uid: found.uid }, 'consent form without a valid CSRF token');
      sendHtml(res, 403, errorPage('Request refused', 'The consent form was not submitted from this sign-in page. Start again from your application.'));
      return;
    }
    const clientId = found.params.client_id as string;
    if (form.get('decision') !== 'allow') {
      metrics.denials.inc({ reason: 'consent_denied' });
      log.info({ event: 'consent.denied', client_id: clientId }, 'user denied consent');
      return provider.interactionFinished(
        req, res,
        { error: 'access_denied', error_description: 'End-User denied the authorization request' },
        { mergeWithLastSubmission: false },
      );
    }
    const grantId = await grantConsent(found);
    log.info({ event: 'consent.granted', client_id: clientId }, 'user granted consent');
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** GET /interaction/:uid/login?ref=... */
  async function finishLogin(req: IncomingMessage, res: ServerResponse, uid: string, ref: string | null): Promise<void> {
    const found = await details(req, res, uid);
    if (!found) return;
    const outcome = ref ? await deps.logins.takeOutcome(ref) : undefined;
    if (!outcome || outcome.uid !== found.uid || found.prompt.name !== 'login') {
      sendHtml(res, 400, errorPage('Sign-in expired', 'This sign-in link has expired or was already used. Start again from your application.'));
      return;
    }
    if ('error' in outcome) {
      return provider.interactionFinished(
        req, res,
        { error: outcome.error, error_description: outcome.errorDescription },
        { mergeWithLastSubmission: false },
      );
    }
    return provider.interactionFinished(
      req, res,
      { login: { accountId: outcome.accountId, remember: true } },
      { mergeWithLastSubmission: false },
    );
  }

  /** GET /callback: verify the upstream answer, admit the user, hand over to the interaction. */
  async function callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const state = url.searchParams.get('state');
    const pending = state ? await deps.logins.takePending(state) : undefined;
    if (!pending) {
      metrics.logins.inc({ result: 'error' });
      sendHtml(res, 400, errorPage('Sign-in expired', 'This sign-in response is unknown, expired or was already used. Start again from your application.'));
      return;
    }
    const interactionUrl = `${deps.mountPath}/interaction/${pending.uid}/login`;
    const upstreamError = url.searchParams.get('error');
    if (upstreamError) {
      // The user cancelled at the upstream (or it refused): the MCP client gets access_denied.
      metrics.logins.inc({ result: 'denied' });
      metrics.denials.inc({ reason: 'upstream_denied' });
      log.info({ event: 'login.upstream_error', error: upstreamError.slice(0, 64) }, 'upstream returned an error');
      const ref = await deps.logins.saveOutcome({ uid: pending.uid, error: 'access_denied', errorDescription: 'sign-in was cancelled or refused' });
      return redirect(res, `${interactionUrl}?ref=${ref}`);
    }
    let identity;
    try {
      identity = await deps.upstream.complete(url, pending);
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      metrics.logins.inc({ result: 'error' });
      metrics.denials.inc({ reason: 'upstream_token_invalid' });
      log.warn({ event: 'login.failed', code: err.code, reason: err.message }, 'upstream login rejected');
      const status = err.code === 'UPSTREAM_DISCOVERY_FAILED' ? 503 : 400;
      sendHtml(res, status, errorPage('Sign-in failed', 'The answer from the sign-in provider could not be verified. Start again from your application.'));
      return;
    }
    const refusal = accountRefusal(identity.email, identity.emailVerified, deps.allowedEmails);
    if (refusal) {
      metrics.logins.inc({ result: 'denied' });
      metrics.denials.inc({ reason: refusal });
      log.warn({ event: 'login.denied', reason: refusal, email: typeof identity.email === 'string' ? identity.email : undefined }, 'login refused');
      sendHtml(res, 403, errorPage(
        'Access denied',
        REFUSAL_TEXT[refusal]!,
        typeof identity.email === 'string' ? `Signed in as ${identity.email}.` : undefined,
      ));
      return;
    }
    const accountId = accountIdFor(identity.issuer, identity.subject);
    await deps.accounts.remember({
      accountId,
      email: (identity.email as string).toLowerCase(),
      emailVerified: true,
      name: identity.name,
      loginAt: Math.floor(Date.now() / 1000),
    });
    metrics.logins.inc({ result: 'success' });
    log.info({ event: 'login.success', account: accountId }, 'user signed in');
    const ref = await deps.logins.saveOutcome({ uid: pending.uid, accountId });
    redirect(res, `${interactionUrl}?ref=${ref}`);
  }

  return { start, consent, finishLogin, callback };
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}
