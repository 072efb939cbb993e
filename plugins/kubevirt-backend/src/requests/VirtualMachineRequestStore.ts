import type { DatabaseService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import type {
  TrackedVirtualMachineRequest,
  VirtualMachineChangeKind,
  VirtualMachineRequestRecord,
  VirtualMachineRequestStage,
  VirtualMachineRequestVmState,
} from '@vmportal/plugin-kubevirt-common';
import type { Knex } from 'knex';
import {
  REQUEST_MIGRATIONS_TABLE,
  requestMigrationSource,
  REQUESTS_TABLE,
} from './requestMigrations';
import type { RequestViewer } from './requestVisibility';

/** A row of the requests table. */
interface RequestRow {
  id: string;
  owner: string;
  cluster: string;
  namespace: string;
  name: string;
  size: string;
  plan_summary: string;
  change: string | null;
  pull_request_url: string;
  pull_request_number: number | null;
  reviewers: string;
  requested_by: string;
  requested_at: string;
  stage: string;
  history: string;
  vm: string | null;
  entity_ref: string | null;
  checked_at: string | null;
  last_error: string | null;
  finished: boolean | number;
  next_check_at: string;
}

/**
 * What the tracker learnt in one read of a request's sources.
 *
 * @internal
 */
export interface VirtualMachineRequestProgress {
  stage: VirtualMachineRequestStage;
  history: TrackedVirtualMachineRequest['history'];
  vm?: VirtualMachineRequestVmState;
  entityRef?: string;
  checkedAt: string;
  /** Undefined clears an earlier error. */
  lastError?: string;
  /** A finished request is never read again. */
  finished: boolean;
  nextCheckAt: string;
}

/**
 * Which requests to list.
 *
 * @internal
 */
export interface VirtualMachineRequestQuery {
  /** Only what this viewer may see; undefined lists every request. */
  viewer?: RequestViewer;
  /** The requests of this owning group (a normalised entity ref). */
  owner?: string;
  /** The requests of this user (a normalised entity ref). */
  requestedBy?: string;
  limit: number;
  offset: number;
}

/**
 * Tracked VM requests in the plugin's database (SQLite or PostgreSQL through Knex).
 * Timestamps are ISO 8601 UTC strings, which sort as they compare.
 *
 * @internal
 */
export class VirtualMachineRequestStore {
  /** Runs the migrations (unless the database service says to skip them). */
  static async create(options: {
    database: DatabaseService;
  }): Promise<VirtualMachineRequestStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({
        migrationSource: requestMigrationSource,
        tableName: REQUEST_MIGRATIONS_TABLE,
      });
    }
    return new VirtualMachineRequestStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  /**
   * Records a request whose pull request just opened. Idempotent: the first writer
   * wins, and the same record sent again returns the stored request with
   * `created: false`; a different record under the same id is a `ConflictError`.
   */
  async add(
    record: VirtualMachineRequestRecord & { pullRequestNumber?: number },
    requestedBy: string,
    now: Date,
  ): Promise<{ request: TrackedVirtualMachineRequest; created: boolean }> {
    const at = now.toISOString();
    const row: RequestRow = {
      id: record.id,
      owner: record.owner,
      cluster: record.cluster,
      namespace: record.namespace,
      name: record.name,
      size: record.size,
      plan_summary: record.planSummary,
      change: record.change ?? null,
      pull_request_url: record.pullRequestUrl,
      pull_request_number: record.pullRequestNumber ?? null,
      reviewers: JSON.stringify(record.reviewers),
      requested_by: requestedBy,
      requested_at: at,
      stage: 'pr-open',
      history: JSON.stringify([{ stage: 'pr-open', at }]),
      vm: null,
      entity_ref: null,
      checked_at: null,
      last_error: null,
      finished: false,
      next_check_at: at,
    };
    const inserted = await this.knex<RequestRow>(REQUESTS_TABLE)
      .insert(row)
      .onConflict('id')
      .ignore()
      .returning('id');
    const stored = await this.get(record.id);
    if (!stored) {
      throw new Error(`VM request ${record.id} vanished while it was recorded`);
    }
    if (inserted.length > 0) return { request: stored, created: true };
    const differences = differingFields(stored, record, requestedBy);
    if (differences.length > 0) {
      throw new ConflictError(
        `VM request ${
          record.id
        } is already recorded with another ${differences.join(
          ', ',
        )}; a request's record does not change once its pull request opened`,
      );
    }
    return { request: stored, created: false };
  }

  /** The request `id`, or undefined. */
  async get(id: string): Promise<TrackedVirtualMachineRequest | undefined> {
    const row = await this.knex<RequestRow>(REQUESTS_TABLE)
      .where({ id })
      .first();
    return row ? fromRow(row) : undefined;
  }

  /** The viewer's own requests first, then the newest first. */
  async list(
    query: VirtualMachineRequestQuery,
  ): Promise<TrackedVirtualMachineRequest[]> {
    const { viewer } = query;
    let select = this.knex<RequestRow>(REQUESTS_TABLE).select();
    if (viewer) {
      select = select.where(visible => {
        visible.where('requested_by', viewer.userEntityRef);
        if (viewer.ownershipEntityRefs.length > 0) {
          visible.orWhereIn('owner', viewer.ownershipEntityRefs);
        }
      });
    }
    if (query.owner) select = select.where('owner', query.owner);
    if (query.requestedBy) {
      select = select.where('requested_by', query.requestedBy);
    }
    if (viewer) {
      select = select.orderByRaw(
        'CASE WHEN requested_by = ? THEN 0 ELSE 1 END',
        [viewer.userEntityRef],
      );
    }
    const rows = await select
      .orderBy('requested_at', 'desc')
      .orderBy('id', 'asc')
      .limit(query.limit)
      .offset(query.offset);
    return rows.map(fromRow);
  }

  /**
   * Unfinished requests whose next check is due at `now`, the longest waiting first,
   * at most `limit`.
   */
  async due(now: Date, limit: number): Promise<TrackedVirtualMachineRequest[]> {
    const rows = await this.knex<RequestRow>(REQUESTS_TABLE)
      .where('finished', false)
      .where('next_check_at', '<=', now.toISOString())
      .orderBy('next_check_at', 'asc')
      .orderBy('id', 'asc')
      .limit(limit);
    return rows.map(fromRow);
  }

  /**
   * Saves what a read of the request's sources found, unless someone else saved
   * since `read` was taken (another replica, or a view's refresh): then nothing is
   * written and it returns false, so a stage change is told once.
   */
  async saveProgress(
    read: Pick<TrackedVirtualMachineRequest, 'id' | 'stage' | 'checkedAt'>,
    progress: VirtualMachineRequestProgress,
  ): Promise<boolean> {
    const query = this.knex<RequestRow>(REQUESTS_TABLE).where({
      id: read.id,
      stage: read.stage,
    });
    if (read.checkedAt) query.where('checked_at', read.checkedAt);
    else query.whereNull('checked_at');
    const updated = await query.update({
      stage: progress.stage,
      history: JSON.stringify(progress.history),
      vm: progress.vm ? JSON.stringify(progress.vm) : null,
      entity_ref: progress.entityRef ?? null,
      checked_at: progress.checkedAt,
      last_error: progress.lastError ?? null,
      finished: progress.finished,
      next_check_at: progress.nextCheckAt,
    });
    return updated > 0;
  }
}

function fromRow(row: RequestRow): TrackedVirtualMachineRequest {
  return {
    id: row.id,
    owner: row.owner,
    cluster: row.cluster,
    namespace: row.namespace,
    name: row.name,
    size: row.size,
    planSummary: row.plan_summary,
    ...(row.change && {
      change: row.change as VirtualMachineChangeKind,
    }),
    reviewers: JSON.parse(row.reviewers),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    pullRequest: {
      url: row.pull_request_url,
      ...(row.pull_request_number !== null && {
        number: row.pull_request_number,
      }),
    },
    stage: row.stage as VirtualMachineRequestStage,
    history: JSON.parse(row.history),
    ...(row.vm && { vm: JSON.parse(row.vm) }),
    ...(row.entity_ref && { entityRef: row.entity_ref }),
    ...(row.checked_at && { checkedAt: row.checked_at }),
    ...(row.last_error && { lastError: row.last_error }),
  };
}

/** The fields of `record` (and the requester) that differ from the stored request. */
function differingFields(
  stored: TrackedVirtualMachineRequest,
  record: VirtualMachineRequestRecord,
  requestedBy: string,
): string[] {
  const fields: string[] = [];
  const same: Array<[string, unknown, unknown]> = [
    ['owner', stored.owner, record.owner],
    ['cluster', stored.cluster, record.cluster],
    ['namespace', stored.namespace, record.namespace],
    ['name', stored.name, record.name],
    ['size', stored.size, record.size],
    ['planSummary', stored.planSummary, record.planSummary],
    ['pullRequestUrl', stored.pullRequest.url, record.pullRequestUrl],
    [
      'reviewers',
      JSON.stringify(stored.reviewers),
      JSON.stringify(record.reviewers),
    ],
    ['requester', stored.requestedBy, requestedBy],
  ];
  for (const [field, a, b] of same) if (a !== b) fields.push(field);
  return fields;
}
