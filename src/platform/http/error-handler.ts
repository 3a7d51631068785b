// Maps every error to the contract's shape: domain errors by code, Fastify's own client errors
// by their status, database overload to 503, and anything else to a 500 that hides internals.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONCURRENT_WRITE_CODES } from '../db/errors.js';
import { DomainError, type ErrorBody, errorBody } from './errors.js';
import { ErrorSchema } from './schemas.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function fieldName(issue: ValidationIssue, context: string | undefined): string {
  const base = issue.instancePath?.replace(/^\//, '').replaceAll('/', '.') ?? '';
  const missing = issue.params?.missingProperty ?? issue.params?.requiredProperties;
  const extra = issue.params?.additionalProperty;
  const leaf =
    typeof missing === 'string'
      ? missing
      : Array.isArray(missing)
        ? missing.join(',')
        : typeof extra === 'string'
          ? extra
          : '';
  const joined = [base, leaf].filter(Boolean).join('.');
  return joined || context || 'body';
}

function validationError(error: FastifyError): ErrorBody {
  const context = (error as FastifyError & { validationContext?: string }).validationContext;
  const issues = (error.validation ?? []) as ValidationIssue[];
  const fields = issues.map((issue) => ({
    field: fieldName(issue, context),
    in: context,
    message: issue.params?.additionalProperty ? 'is not allowed' : (issue.message ?? 'is invalid'),
  }));
  const names = [...new Set(fields.map((f) => f.field))].join(', ');
  return errorBody('VALIDATION_FAILED', `Invalid ${context ?? 'request'}: ${names}`, { fields });
}

const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'VALIDATION_FAILED', 'Content-Length does not match the body'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE', 'Request body is larger than 100 KB'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    400,
    'VALIDATION_FAILED',
    'Request body is empty but Content-Type is application/json',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'VALIDATION_FAILED', 'Request body is not valid JSON'],
};

// PostgreSQL errors that mean "busy or briefly unavailable", not "your request is wrong".
const RETRYABLE_PG = new Set([
  ...CONCURRENT_WRITE_CODES,
  '53300',
  '57P01',
  '57P03',
  '08000',
  '08003',
  '08006',
]);

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function registerErrorHandling(app: FastifyInstance): void {
  // Any POST, PUT or PATCH may carry a body, so each can answer 400 (not JSON), 413 and 415
  // before its handler runs; the OpenAPI document lists them for every such route.
  app.addHook('onRoute', (route) => {
    if (![route.method].flat().some((method) => BODY_METHODS.has(method))) return;
    route.schema ??= {};
    route.schema.response ??= {};
    const response = route.schema.response as Record<number, unknown>;
    for (const status of [400, 413, 415]) response[status] ??= ErrorSchema;
  });
  app.setErrorHandler(
    (error: FastifyError & { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof DomainError) {
        if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
        if (error.code === 'UNAUTHENTICATED') reply.header('WWW-Authenticate', bearerChallenge(request));
        if (error.status >= 500) request.log.warn({ code: error.code }, error.message);
        return reply.status(error.status).send(errorBody(error.code, error.message, error.details));
      }
      if (error.validation) {
        return reply.status(400).send(validationError(error));
      }
      if (error instanceof SyntaxError && error.statusCode === 400) {
        return reply.status(400).send(errorBody('VALIDATION_FAILED', 'Request body is not valid JSON'));
      }
      const known = error.code ? FASTIFY_CODES[error.code] : undefined;
      if (known) {
        return reply.status(known[0]).send(errorBody(known[1], known[2]));
      }
      // PostgreSQL data exceptions (class 22: a NUL byte, a number out of range...) come from input.
      if (typeof error.code === 'string' && /^22[0-9A-Z]{3}$/.test(error.code)) {
        return reply
          .status(400)
          .send(errorBody('VALIDATION_FAILED', 'The request contains a value the database cannot store'));
      }
      if (error.code && RETRYABLE_PG.has(error.code)) {
        request.log.warn({ err: error }, 'database busy');
        reply.header('Retry-After', '1');
        return reply
          .status(503)
          .send(errorBody('SERVICE_UNAVAILABLE', 'The service is busy, please retry shortly'));
      }
      if (
        error.code === 'ECONNREFUSED' ||
        error.message?.includes('timeout exceeded when trying to connect')
      ) {
        request.log.error({ err: error }, 'database unreachable');
        reply.header('Retry-After', '2');
        return reply
          .status(503)
          .send(errorBody('SERVICE_UNAVAILABLE', 'A dependency is unavailable, please retry shortly'));
      }
      const status = error.statusCode ?? 500;
      if (status === 429) {
        return reply.status(429).send(errorBody('RATE_LIMITED', 'Too many requests, slow down'));
      }
      if (status >= 400 && status < 500) {
        const code =
          status === 404 ? 'NOT_FOUND' : status === 405 ? 'METHOD_NOT_ALLOWED' : 'VALIDATION_FAILED';
        return reply.status(status).send(errorBody(code, error.message));
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply.status(500).send(errorBody('INTERNAL_ERROR', 'Something went wrong on our side'));
    },
  );
}

/** RFC 6750's challenge: which scheme to use, and whether the token sent was the problem. */
function bearerChallenge(request: FastifyRequest): string {
  return request.headers.authorization
    ? 'Bearer realm="evently", error="invalid_token"'
    : 'Bearer realm="evently"';
}

/**
 * Fastify's frameworkErrors: a path it cannot decode (`%E0%A4%A`) or a path parameter over its
 * length limit, answered in the contract's shape instead of Fastify's own.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(400).send(errorBody('VALIDATION_FAILED', `Invalid URL: ${error.message}`));
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers (or the URL) are larger than 16 KB'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time'],
};

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (headers over 16 KB, a broken
 * request line, a bad Content-Length or chunked body): answered in the contract's shape, then the
 * connection is closed, as Fastify's default handler does.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'VALIDATION_FAILED',
    'The request is not valid HTTP',
  ];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
