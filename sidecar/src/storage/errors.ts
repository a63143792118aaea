/**
 * Errors the storage layer raises.
 *
 * StorageUnavailableError: the backend (Redis, the disk) cannot be used right now. It carries
 * `code = 'STORAGE_UNAVAILABLE'` and `statusCode = 503`; oidc-provider's error handler uses
 * `statusCode` for the response status (its body is then the generic `server_error`, since the
 * error is not `expose`d: the message names paths and hosts meant for logs).
 *
 * alreadyConsumed(): oidc-provider's own InvalidGrant, so a lost consume race ends as a normal
 * `invalid_grant` token-endpoint error; `code = 'ALREADY_CONSUMED'` lets callers tell it apart.
 */
import { errors } from 'oidc-provider';

export class StorageUnavailableError extends Error {
  readonly code = 'STORAGE_UNAVAILABLE';
  readonly statusCode = 503;
  readonly status = 503;
  readonly expose = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

export function isStorageUnavailable(err: unknown): err is StorageUnavailableError {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'STORAGE_UNAVAILABLE';
}

export type AlreadyConsumedError = InstanceType<typeof errors.InvalidGrant> & { code: 'ALREADY_CONSUMED' };

export function alreadyConsumed(model: string, reason: 'consumed' | 'missing'): AlreadyConsumedError {
  const detail = reason === 'consumed' ? `${model} already consumed` : `${model} not found or expired`;
  const err = new errors.InvalidGrant(detail) as AlreadyConsumedError;
  err.code = 'ALREADY_CONSUMED';
  return err;
}

export function isAlreadyConsumed(err: unknown): err is AlreadyConsumedError {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ALREADY_CONSUMED';
}
