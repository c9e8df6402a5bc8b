// The one module through which the daemon reaches the database (docs/design.md "The shape of the code").
import type { Database } from '../database.js';
import { accountsRepository } from './accounts.js';
import { metersRepository } from './meters.js';
import { ledgerRepository } from './ledger.js';
import { commandsRepository } from './commands.js';
import { holdsRepository } from './holds.js';
import { reviewsRepository } from './reviews.js';
import { bulkRepository } from './bulk.js';
import { sweepRepository } from './sweep.js';
import { auditRepository } from './audit.js';
import { journalRepository } from './journal.js';
import { ingestRepository } from './ingest.js';
import { tariffsRepository } from './tariffs.js';
import { webhooksRepository } from './webhooks.js';
import { leasesRepository } from './leases.js';
import { pendingRepository } from './pending.js';
import { importsRepository } from './imports.js';
import { calendarRepository } from './calendar.js';
import { meterDataRepository } from './meter-data.js';
import { mqttCredentialsRepository } from './mqtt-credentials.js';
import { meterSecurityRepository } from './meter-security.js';

export function createRepositories(db: Database) {
  return {
    db,
    accounts: accountsRepository(db),
    meters: metersRepository(db),
    ledger: ledgerRepository(db),
    commands: commandsRepository(db),
    holds: holdsRepository(db),
    reviews: reviewsRepository(db),
    bulk: bulkRepository(db),
    sweep: sweepRepository(db),
    auditLog: auditRepository(db),
    journal: journalRepository(db),
    ingest: ingestRepository(db),
    tariffs: tariffsRepository(db),
    webhooks: webhooksRepository(db),
    leases: leasesRepository(db),
    pending: pendingRepository(db),
    imports: importsRepository(db),
    calendar: calendarRepository(db),
    meterData: meterDataRepository(db),
    mqttCredentials: mqttCredentialsRepository(db),
    meterSecurity: meterSecurityRepository(db),
    /** Runs `fn` in one IMMEDIATE transaction (one fsync at commit). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
export type { AccountRow } from './accounts.js';
export type { MeterRow, RelayState } from './meters.js';
export type { CommandRow, CommandAction, CommandState, CommandOrigin } from './commands.js';
export type { HoldRow, HoldKind, HoldScope } from './holds.js';
export type { ReviewRow, ReviewKind } from './reviews.js';
export { REVIEW_KINDS } from './reviews.js';
export type { BulkRow, BulkSkip } from './bulk.js';
export type { SupplyPointRow } from './sweep.js';
export type { PaymentRow, LedgerEntryRow, LedgerKind } from './ledger.js';
export type { BusLeaseRow } from './leases.js';
export type { ImportJobRow } from './imports.js';
export type { HolidayScheduleRow, ScheduleOrigin } from './calendar.js';
export type { MqttCredentialRow, ActiveMqttCredential } from './mqtt-credentials.js';
