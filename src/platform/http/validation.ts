// Request validation: Fastify's Ajv compiler, with two rules the defaults do not give.
//
// - JSON bodies are taken as typed. Query strings and path parameters arrive as text, so Ajv
//   coerces them ("20" -> 20); applied to a JSON body the same coercion turned `true` into a
//   quantity of 1 and `["tok_visa"]` into a payment token. A body with a value of the wrong type
//   is now a 400 naming the field, as the contract asks.
// - PostgreSQL cannot store a NUL character. A string with one, in a body or a query string, is a
//   400 that names the field, before any handler runs, instead of the database's error later.
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

interface RouteDefinition {
  schema: unknown;
  method: string;
  url: string;
  httpPart: string;
}

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

type Validate = ((data: unknown, context?: unknown) => unknown) & {
  errors?: unknown;
  /** Ajv's marker: Fastify then passes the parent, so a coerced root value is written back. */
  schemaEnv?: unknown;
};

type CompileFromPool = (externalSchemas: unknown, options: unknown) => (route: RouteDefinition) => Validate;

const fromPool = AjvCompiler() as unknown as CompileFromPool;

/** The JSON pointer of the first string under `value` that contains a NUL character, if any. */
export function nulPointer(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nulPointer(item, `${at}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

const nulIssue = (instancePath: string): ValidationIssue => ({
  instancePath,
  keyword: 'noNul',
  params: {},
  message: 'must not contain a NUL character',
});

function refusingNul(validate: Validate): Validate {
  const checked: Validate = (data, context) => {
    if (!validate(data, context)) {
      checked.errors = validate.errors;
      return false;
    }
    const at = nulPointer(data);
    if (at === undefined) return true;
    checked.errors = [nulIssue(at)];
    return false;
  };
  checked.schemaEnv = validate.schemaEnv;
  return checked;
}

type CompilerOptions = { customOptions?: Record<string, unknown> } | undefined;

/** Fastify's validator factory (schemaController.compilersFactory.buildValidator) with the rules above. */
export const buildValidator = ((externalSchemas: unknown, options: CompilerOptions) => {
  const lenient = fromPool(externalSchemas, options);
  const strict = fromPool(externalSchemas, {
    ...options,
    customOptions: { ...options?.customOptions, coerceTypes: false },
  });
  const compile = (route: RouteDefinition): Validate => {
    if (route.httpPart === 'body') return refusingNul(strict(route));
    if (route.httpPart === 'querystring') return refusingNul(lenient(route));
    return lenient(route);
  };
  return compile;
}) as unknown as ValidatorFactory;
