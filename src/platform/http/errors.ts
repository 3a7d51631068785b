// The one domain error type, its codes, and the HTTP status each code maps to.
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  BOOKING_NOT_FOUND: 404,
  TICKET_TYPE_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  EMAIL_TAKEN: 409,
  SOLD_OUT: 409,
  INSUFFICIENT_AVAILABILITY: 409,
  TICKET_LIMIT_EXCEEDED: 409,
  EVENT_NOT_BOOKABLE: 409,
  EVENT_NOT_EDITABLE: 409,
  INVALID_BOOKING_STATE: 409,
  CAPACITY_BELOW_SOLD: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  HOLD_EXPIRED: 410,
  VERSION_CONFLICT: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds a client should wait before retrying (sent as Retry-After). */
    readonly retryAfter?: number,
  ) {
    // A domain error is an answer, not a fault: no stack trace to capture. On a sold-out rush
    // thousands are made per second, and capturing stacks was a measurable share of the CPU.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'DomainError';
    this.status = ERROR_STATUS[code];
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

export const notFound = (
  code: 'EVENT_NOT_FOUND' | 'BOOKING_NOT_FOUND' | 'TICKET_TYPE_NOT_FOUND' | 'NOT_FOUND',
  what: string,
) => new DomainError(code, `${what} not found`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
