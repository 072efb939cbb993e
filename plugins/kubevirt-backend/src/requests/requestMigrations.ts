import type { Knex } from 'knex';

/** The table of tracked VM requests. @internal */
export const REQUESTS_TABLE = 'kubevirt_vm_requests';

/**
 * The store's schema changes, in order, kept in code (not a `migrations/` folder) so the
 * published package holds only `dist`; Knex records them in its own table.
 */
const migrations: Record<string, Knex.Migration> = {
  '20260101000000_vm_requests': {
    async up(knex) {
      await knex.schema.createTable(REQUESTS_TABLE, table => {
        table.comment('VM requests, from their pull request to the catalog');
        table.string('id', 255).primary().notNullable();
        table.string('owner', 255).notNullable();
        table.string('cluster', 255).notNullable();
        table.string('namespace', 63).notNullable();
        table.string('name', 63).notNullable();
        table.string('size', 255).notNullable();
        table.text('plan_summary').notNullable();
        table.text('pull_request_url').notNullable();
        table.integer('pull_request_number').nullable();
        table.text('reviewers').notNullable().comment('JSON array of strings');
        table.string('requested_by', 255).notNullable();
        table.string('requested_at', 32).notNullable().comment('ISO 8601, UTC');
        table.string('stage', 32).notNullable();
        table.text('history').notNullable().comment('JSON [{ stage, at }]');
        table
          .text('vm')
          .nullable()
          .comment('JSON VirtualMachineRequestVmState');
        table.string('entity_ref', 255).nullable();
        table.string('checked_at', 32).nullable();
        table.text('last_error').nullable();
        table.boolean('finished').notNullable().defaultTo(false);
        table.string('next_check_at', 32).notNullable();
        table.index(
          ['finished', 'next_check_at'],
          'kubevirt_vm_requests_due_idx',
        );
        table.index(['requested_by'], 'kubevirt_vm_requests_requester_idx');
        table.index(['owner'], 'kubevirt_vm_requests_owner_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTable(REQUESTS_TABLE);
    },
  },
  '20261203000000_vm_request_change': {
    async up(knex) {
      await knex.schema.alterTable(REQUESTS_TABLE, table => {
        table
          .string('change', 32)
          .nullable()
          .comment('The kind of day-2 change; null for a new VM');
      });
    },
    async down(knex) {
      await knex.schema.alterTable(REQUESTS_TABLE, table => {
        table.dropColumn('change');
      });
    },
  },
};

/**
 * The migrations as Knex's `migrationSource`.
 *
 * @internal
 */
export const requestMigrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return Object.keys(migrations).sort();
  },
  getMigrationName(migration) {
    return migration;
  },
  async getMigration(migration) {
    return migrations[migration];
  },
};

/** Knex's bookkeeping tables for this plugin's migrations. @internal */
export const REQUEST_MIGRATIONS_TABLE = 'kubevirt_knex_migrations';
