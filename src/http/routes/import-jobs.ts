// Import jobs and migrations: the state of a CSV import while it runs and after (counts, the
// last committed row, the rows refused), and the migrations that hold imported accounts' alarms
// and the engine, with their release (audited; the engine then looks at the released accounts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { Limit, Nullable, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { jobView } from '../../fleet-import.js';
import { AppError } from '../../errors.js';
import { releaseMigration } from '../../migration-hold.js';

export const ImportJobView = Type.Object({
  jobId: Type.String(),
  kind: Type.Union([Type.Literal('accounts'), Type.Literal('meters')]),
  mode: Type.Union([Type.Literal('create'), Type.Literal('upsert')]),
  dryRun: Type.Boolean(),
  state: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')], { description: 'a failed job may be resumed with the same file (?resume=<jobId>)' }),
  encoding: Nullable(Type.Union([Type.Literal('utf-8'), Type.Literal('gbk'), Type.Literal('gb18030')], { description: 'the encoding the file was read in' })),
  migration: Nullable(Type.String({ description: 'the migration holding the accounts the job created' })),
  rows: Nullable(Type.Integer({ description: 'data rows in the file (blank rows not counted); null until the file has been read through' })),
  rowDone: Type.Integer({ description: 'the last spreadsheet row committed (the header is row 1): a resume goes on after it' }),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  refused: Type.Integer(),
  errors: Type.Array(Type.Object({
    row: Type.Integer({ description: 'spreadsheet row number; the header is row 1' }),
    id: Nullable(Type.String()), field: Nullable(Type.String()), code: Type.String(), message: Type.String(),
  }), { description: 'the first import.maxErrors rows refused' }),
  errorsOmitted: Type.Integer({ description: 'rows refused beyond those listed' }),
  message: Nullable(Type.String({ description: 'why a failed job stopped' })),
  createdIds: Type.Optional(Type.Array(Type.String(), { description: 'with ?ids=true: ids created by this run' })),
  updatedIds: Type.Optional(Type.Array(Type.String(), { description: 'with ?ids=true: ids updated by this run' })),
});

const Migration = Type.Object({ name: Type.String(), accounts: Type.Integer({ description: 'accounts the migration holds' }) });

export const importJobRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos } = services;

  app.get('/v1/import/jobs', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['import'], summary: 'The latest import jobs, newest first',
      querystring: Type.Object({ limit: Limit(200, 20) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ImportJobView) }), ...errorResponses },
    },
  }, async (request) => ({ items: repos.imports.latest(request.query.limit ?? 20).map(jobView) }));

  app.get('/v1/import/jobs/:id', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['import'], summary: "An import job's state and progress",
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { 200: ImportJobView, ...errorResponses },
    },
  }, async (request) => {
    const job = repos.imports.get(request.params.id);
    if (!job) throw new AppError('NOT_FOUND', `import job ${request.params.id} does not exist`);
    return jobView(job);
  });

  app.get('/v1/migrations', {
    config: { roles: ['operator', 'read-only'] },
    schema: {
      tags: ['import'], summary: 'Migrations holding imported accounts (their alarms and the engine) until released',
      response: { 200: Type.Object({ items: Type.Array(Migration) }), ...errorResponses },
    },
  }, async () => ({ items: repos.imports.migrations() }));

  app.post('/v1/migrations/:name/release', {
    config: { roles: ['operator'] },
    schema: {
      tags: ['import'],
      summary: "Release a migration's accounts: their alarm state is evaluated against their balance and the engine takes them up again (audited)",
      params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: {
        200: Type.Object({
          migration: Type.String(), released: Type.Integer(),
          alarmsRaised: Type.Integer({ description: 'released accounts whose alarm state moved (their events raised)' }),
        }),
        ...errorResponses,
      },
    },
  }, async (request) => releaseMigration(repos, request.params.name, actorOf(request), services.now, (ids) => {
    for (const id of ids) services.events.emit('balance-changed', id);
  }));
};
