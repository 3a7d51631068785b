// Ordered migrations, listed statically so they run the same from src/ (tests) and dist/ (npm start).
import type { Migration } from 'kysely';
import * as m0001 from './0001_accounts_and_catalog.js';
import * as m0002 from './0002_bookings.js';
import * as m0003 from './0003_analytics_rollups.js';
import * as m0004 from './0004_events_admin_index.js';
import * as m0005 from './0005_reserve_batch_function.js';
import * as m0006 from './0006_payment_ledger.js';
import * as m0007 from './0007_lighter_hold_writes.js';
import * as m0008 from './0008_reserve_batch_arrays.js';
import * as m0009 from './0009_allocation_index_plans.js';
import * as m0010 from './0010_new_buyer_counters.js';
import * as m0011 from './0011_idempotency_hold_link.js';
import * as m0012 from './0012_idempotency_owner.js';
import * as m0013 from './0013_rollups_by_currency.js';
import * as m0014 from './0014_rollup_trigger_plans.js';
import * as m0015 from './0015_reserve_batch_fast_path.js';
import * as m0016 from './0016_allocation_generic_plans.js';

export const migrations: Record<string, Migration> = {
  '0001_accounts_and_catalog': m0001,
  '0002_bookings': m0002,
  '0003_analytics_rollups': m0003,
  '0004_events_admin_index': m0004,
  '0005_reserve_batch_function': m0005,
  '0006_payment_ledger': m0006,
  '0007_lighter_hold_writes': m0007,
  '0008_reserve_batch_arrays': m0008,
  '0009_allocation_index_plans': m0009,
  '0010_new_buyer_counters': m0010,
  '0011_idempotency_hold_link': m0011,
  '0012_idempotency_owner': m0012,
  '0013_rollups_by_currency': m0013,
  '0014_rollup_trigger_plans': m0014,
  '0015_reserve_batch_fast_path': m0015,
  '0016_allocation_generic_plans': m0016,
};
