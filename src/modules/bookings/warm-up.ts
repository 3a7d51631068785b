// Warm connections for the on-sale's first wave: opened at start-up, rehearsed on the allocation
// path, and kept open by the pool's `min` through quiet periods (docs/performance.md, "A warm pool").
import type { FastifyBaseLogger } from 'fastify';
import { type Db, warmConnections } from '../../platform/db/database.js';
import { BookingsRepository } from './bookings.repository.js';

/**
 * Rehearses a reservation on `count` connections at once. A failure only costs the first buyers
 * the warm-up, so it is logged and start-up goes on.
 */
export async function warmAllocationConnections(
  db: Db,
  count: number,
  log: FastifyBaseLogger,
  /**
   * The lanes' pipelined connections (AppContext.pipelines.all()), each rehearsed too. The
   * rehearsal is a transaction, which a pipelined connection can run only with nothing else on
   * it: call this before the server takes requests.
   */
  pipelined: Db[] = [],
): Promise<void> {
  if (count <= 0 && pipelined.length === 0) return;
  const started = performance.now();
  try {
    const outcomes: unknown[] = [];
    const rehearse = async (connection: Db) => {
      outcomes.push(await new BookingsRepository(connection).rehearseReservation());
    };
    await Promise.all([warmConnections(db, count, rehearse), ...pipelined.map(rehearse)]);
    const incomplete = outcomes.filter((o) => typeof o !== 'object' || o === null || !('ok' in o));
    if (incomplete.length > 0)
      log.warn({ outcomes: incomplete }, 'a connection rehearsal did not reach a hold');
    else
      log.info(
        { connections: count, pipelined: pipelined.length, ms: Math.round(performance.now() - started) },
        'database connections warmed',
      );
  } catch (err) {
    log.warn({ err }, 'warming the database connections failed; the first bookings will warm them');
  }
}
