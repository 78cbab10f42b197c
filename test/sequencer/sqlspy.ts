// Watches the SQL a SequencerStore runs (it prepares every statement through its `db`): which
// statements, how many rows each returned, and SQLite's query plan for each. The cost tests use
// it to show that a request reads a bounded number of rows through an index, whatever the
// database holds, without timing anything.
import type { DatabaseSync, StatementSync } from "node:sqlite";

export interface Executed {
  sql: string;
  rows: number;
}

export class SqlSpy {
  recording = false;
  readonly executed: Executed[] = [];

  constructor(private readonly db: DatabaseSync) {
    const prepare = db.prepare.bind(db);
    const record = (sql: string, rows: number) => {
      if (this.recording) this.executed.push({ sql: sql.replace(/\s+/g, " ").trim(), rows });
    };
    db.prepare = (sql: string) => {
      const st = prepare(sql);
      return new Proxy(st, {
        get(target, key) {
          const v = Reflect.get(target, key, target) as unknown;
          if (typeof v !== "function") return v;
          if (key === "all")
            return (...a: never[]) => {
              const r = (target.all as (...x: never[]) => unknown[])(...a);
              record(sql, r.length);
              return r;
            };
          if (key === "get")
            return (...a: never[]) => {
              const r = (target.get as (...x: never[]) => unknown)(...a);
              record(sql, r === undefined ? 0 : 1);
              return r;
            };
          if (key === "run")
            return (...a: never[]) => {
              const r = (target.run as (...x: never[]) => unknown)(...a);
              record(sql, 0);
              return r;
            };
          return (v as (...x: unknown[]) => unknown).bind(target);
        },
      }) as StatementSync;
    };
  }

  /** The statements `fn` runs (only those: the spy records while it runs). */
  during<T>(fn: () => T): { result: T; executed: Executed[] } {
    const from = this.executed.length;
    this.recording = true;
    try {
      const result = fn();
      return { result, executed: this.executed.slice(from) };
    } finally {
      this.recording = false;
    }
  }

  /** The statements run from calling `fn` until its promise settles (keep other work out of that window). */
  async duringAsync<T>(fn: () => Promise<T>): Promise<{ result: T; executed: Executed[] }> {
    const from = this.executed.length;
    this.recording = true;
    try {
      const result = await fn();
      return { result, executed: this.executed.slice(from) };
    } finally {
      this.recording = false;
    }
  }

  /** SQLite's plan of `sql` (its `detail` lines; unbound parameters are NULL). */
  plan(sql: string): string[] {
    const wasRecording = this.recording;
    this.recording = false;
    try {
      return (this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
    } finally {
      this.recording = wasRecording;
    }
  }

  /**
   * The plan lines of `sql` that read a whole table or index ("SCAN …"), apart from the small
   * tables named in `small` (the counts tables hold one row per status).
   */
  scans(sql: string, small: readonly string[] = ["tx_counts", "batch_counts"]): string[] {
    return this.plan(sql).filter((d) => /^SCAN /.test(d) && !small.some((t) => new RegExp(`^SCAN ${t}\\b`).test(d)));
  }
}
