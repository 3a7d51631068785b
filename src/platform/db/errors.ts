// PostgreSQL errors the application reacts to by their SQLSTATE, without importing the driver.

/**
 * SQLSTATEs of a transaction that lost to a concurrent one (serialization failure, deadlock): it
 * was rolled back whole, and running it again may succeed.
 */
export const CONCURRENT_WRITE_CODES: readonly string[] = ['40001', '40P01'];

export const isConcurrentWriteFailure = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONCURRENT_WRITE_CODES.includes(code);
};
