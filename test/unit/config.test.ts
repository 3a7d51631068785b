import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';

describe('loadConfig', () => {
  it('has working defaults for a new user', () => {
    const config = loadConfig({}, []);
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      authRateLimit: 10,
      seedDemo: true,
      logLevel: 'info',
    });
    expect(config.dataDir.endsWith('.data')).toBe(true);
  });

  it('lists every bad variable at once', () => {
    try {
      loadConfig(
        {
          PORT: 'abc',
          DATABASE_URL: 'mysql://x',
          LOG_LEVEL: 'loud',
          NODE_ENV: 'production',
          AUTH_RATE_LIMIT: '-1',
        },
        [],
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'JWT_SECRET', 'AUTH_RATE_LIMIT'])
        expect(problems).toContain(name);
    }
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.c' }, [])).toThrow(/together/);
  });

  it('turns demo data off with SEED_DEMO=false or --no-seed', () => {
    expect(loadConfig({ SEED_DEMO: 'false' }, []).seedDemo).toBe(false);
    expect(loadConfig({}, ['node', 'main.js', '--no-seed']).seedDemo).toBe(false);
    expect(loadConfig({ AUTH_RATE_LIMIT: '0' }, []).authRateLimit).toBe(0);
  });

  it('writes answers at the end of the turn unless WRITE_AT_TURN_END turns it off', () => {
    expect(loadConfig({}, []).writeAtTurnEnd).toBe(true);
    expect(loadConfig({ WRITE_AT_TURN_END: '0' }, []).writeAtTurnEnd).toBe(false);
    expect(() => loadConfig({ WRITE_AT_TURN_END: 'later' }, [])).toThrow(ConfigError);
  });

  it('keeps warm connections within the pool', () => {
    expect(loadConfig({}, [])).toMatchObject({ dbPoolSize: 20, dbPoolMin: 4 });
    expect(loadConfig({ DB_POOL_SIZE: '2', DB_POOL_MIN: '0' }, [])).toMatchObject({
      dbPoolSize: 2,
      dbPoolMin: 0,
    });
    expect(() => loadConfig({ DB_POOL_SIZE: '4', DB_POOL_MIN: '5' }, [])).toThrow(
      /DB_POOL_MIN \(5\) must not exceed DB_POOL_SIZE \(4\)/,
    );
  });

  it('gives a single process 16 accept handles unless ACCEPT_HANDLES says otherwise', () => {
    expect(loadConfig({}, []).acceptHandles).toBe(16);
    expect(loadConfig({ ACCEPT_HANDLES: '1' }, []).acceptHandles).toBe(1);
    for (const bad of ['0', '257', 'many'])
      expect(() => loadConfig({ ACCEPT_HANDLES: bad }, [])).toThrow(
        /ACCEPT_HANDLES must be an integer from 1 to 256/,
      );
  });

  it('runs one process unless WORKERS asks for a supervisor with workers', () => {
    expect(loadConfig({}, []).workers).toBe(1);
    expect(loadConfig({ WORKERS: '4' }, []).workers).toBe(4);
    expect(loadConfig({ WORKERS: 'auto' }, []).workers).toBe(Math.min(availableParallelism(), 64));
    for (const bad of ['0', '65', 'two'])
      expect(() => loadConfig({ WORKERS: bad }, [])).toThrow(/WORKERS must be an integer from 1 to 64/);
  });

  it('pipelines the allocation on four connections, two batches deep, unless told otherwise', () => {
    expect(loadConfig({}, [])).toMatchObject({ bookingPipelines: 4, bookingPipelineDepth: 2 });
    expect(loadConfig({ BOOKING_PIPELINES: '0' }, []).bookingPipelines).toBe(0);
    expect(loadConfig({ BOOKING_PIPELINE_DEPTH: '1' }, []).bookingPipelineDepth).toBe(1);
    expect(() => loadConfig({ BOOKING_PIPELINES: '65' }, [])).toThrow(
      /BOOKING_PIPELINES must be an integer from 0 to 64/,
    );
    for (const bad of ['0', '17', 'deep'])
      expect(() => loadConfig({ BOOKING_PIPELINE_DEPTH: bad }, [])).toThrow(
        /BOOKING_PIPELINE_DEPTH must be an integer from 1 to 16/,
      );
  });
});
