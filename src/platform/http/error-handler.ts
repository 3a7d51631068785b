// Maps every error to the contract's shape: domain errors by code, Fastify's own client errors
// by their status, database overload to 503, and anything else to a 500 that hides internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONCURRENT_WRITE_CODES } from '../db/errors.js';
import { DomainError, type ErrorBody, errorBody } from './errors.js';

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

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(
    (error: FastifyError & { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof DomainError) {
        if (error.retryAfter !== undefined) reply.header('Retry-After', String(error.retryAfter));
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
