// TypeBox schemas shared by every module: the error shape, pagination, ids.
import { type TSchema, Type } from 'typebox';

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. SOLD_OUT' }),
      message: Type.String({ description: 'Human readable explanation' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { description: 'The one error shape of the API' },
);

/** Response map entries for the errors a route can answer with. */
export function errors(...statuses: number[]): Record<number, typeof ErrorSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}

export const LimitQuery = Type.Integer({
  minimum: 1,
  maximum: 100,
  default: 20,
  description: 'Page size, 1..100',
});
export const CursorQuery = Type.String({ maxLength: 512, description: 'Opaque cursor from a previous page' });

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/** Ids are checked in the handlers, so a malformed id is a 404 like any unknown one, not a 400. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const BearerSecurity = [{ bearerAuth: [] }];
