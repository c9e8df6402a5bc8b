// A database that counts the statements run through it, by their SQL: for tests of how many
// statements (on PostgreSQL, round trips) a piece of work costs. Everything else passes through.
import type { Database, Statement } from '../../src/db/database.js';

export interface CountedDatabase {
  db: Database;
  /** Executions (get, all, run, iterate) so far of statements whose SQL matches. */
  executions(sql: RegExp): number;
}

export function countStatements(inner: Database): CountedDatabase {
  const counts = new Map<string, number>();
  const counted = (sql: string, statement: Statement): Statement => {
    const bump = () => counts.set(sql, (counts.get(sql) ?? 0) + 1);
    return {
      get: (...p) => (bump(), statement.get(...p)),
      all: (...p) => (bump(), statement.all(...p)),
      run: (...p) => (bump(), statement.run(...p)),
      iterate: (...p) => (bump(), statement.iterate(...p)),
      pluck: (toggle = true) => counted(sql, statement.pluck(toggle)),
    };
  };
  const db = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => counted(sql.replace(/\s+/g, ' '), target.prepare(sql));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    db,
    executions: (sql) => [...counts].reduce((n, [text, c]) => (sql.test(text) ? n + c : n), 0),
  };
}
