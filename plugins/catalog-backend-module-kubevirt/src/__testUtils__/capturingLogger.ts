import {
  coreServices,
  createServiceFactory,
  LoggerService,
  RootLoggerService,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';

/** One captured log line. */
export interface LogEntry {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta: JsonObject;
  at: number;
}

/**
 * A root logger that records every line (with the metadata of its child loggers) so
 * tests can assert on warnings; prints them too when `VMPORTAL_TEST_LOGS=1`.
 */
export class CapturingLogger implements RootLoggerService {
  readonly entries: LogEntry[];

  constructor(private readonly meta: JsonObject = {}, entries?: LogEntry[]) {
    this.entries = entries ?? [];
  }

  /** Service factory that makes this the backend's root logger. */
  factory() {
    return createServiceFactory({
      service: coreServices.rootLogger,
      deps: {},
      factory: () => this,
    });
  }

  child(meta: JsonObject): LoggerService {
    return new CapturingLogger({ ...this.meta, ...meta }, this.entries);
  }

  error(message: string, meta?: Error | JsonObject): void {
    this.log('error', message, meta);
  }
  warn(message: string, meta?: Error | JsonObject): void {
    this.log('warn', message, meta);
  }
  info(message: string, meta?: Error | JsonObject): void {
    this.log('info', message, meta);
  }
  debug(message: string, meta?: Error | JsonObject): void {
    this.log('debug', message, meta);
  }

  /** Lines at `level` whose message contains `text`. */
  find(level: LogEntry['level'], text: string | RegExp): LogEntry[] {
    return this.entries.filter(
      e =>
        e.level === level &&
        (typeof text === 'string'
          ? e.message.includes(text)
          : text.test(e.message)),
    );
  }

  private log(
    level: LogEntry['level'],
    message: string,
    meta?: Error | JsonObject,
  ) {
    const extra: JsonObject =
      meta instanceof Error ? { error: meta.message } : meta ?? {};
    const entry = {
      level,
      message,
      meta: { ...this.meta, ...extra },
      at: Date.now(),
    };
    this.entries.push(entry);
    if (process.env.VMPORTAL_TEST_LOGS === '1') {
      process.stderr.write(
        `${new Date(
          entry.at,
        ).toISOString()} ${level} ${message} ${JSON.stringify(entry.meta)}\n`,
      );
    }
  }
}
