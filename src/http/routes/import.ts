// Bulk import of accounts and meters from CSV (admin). The body is text/csv whose first row names
// the columns; it is streamed to a file under <dataDir>/imports as it arrives (at most
// import.maxUploadBytes), then imported as a job in chunks of rows (src/fleet-import.ts): the
// answer is compact, counts and the rows refused with their row number, field and reason; ids
// only with ?ids=true. ?async=true answers 202 once the file is in and the job runs on (its
// state at GET /v1/import/jobs/{id}). ?dryRun=true checks everything and imports nothing.
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { importAsync, jobView, type ImportKind } from '../../fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../../fleet.js';
import { fileSource } from '../../import/csv-source.js';
import { ENCODINGS_IN_WORDS, charsetOf, encodingNamed, type Encoding } from '../../import/encoding.js';
import { AppError } from '../../errors.js';
import { ImportJobView } from './import-jobs.js';

const Query = Type.Object({
  dryRun: Type.Optional(Type.Boolean({ description: 'check every row, import nothing' })),
  mode: Type.Optional(Type.Union([Type.Literal('create'), Type.Literal('upsert')], {
    default: 'create', description: 'create: a row whose id exists is refused; upsert: create, or update the fields the row gives (a row like what is stored is unchanged)',
  })),
  encoding: Type.Optional(Type.String({ description: `the file's encoding, ${ENCODINGS_IN_WORDS}; else the content-type's charset; else detected` })),
  migration: Type.Optional(Type.String({ description: 'accounts: hold the accounts created under this migration (alarms and the engine) until POST /v1/migrations/{name}/release' })),
  ids: Type.Optional(Type.Boolean({ description: 'list the ids created and updated' })),
  resume: Type.Optional(Type.String({ description: 'a failed job to go on with, from the row after its last committed chunk; the body must be the same file' })),
  async: Type.Optional(Type.Boolean({ description: 'answer 202 with the job once the file is received; follow it at GET /v1/import/jobs/{id}' })),
}, { additionalProperties: false });

export const importRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const limit = config.import.maxUploadBytes;
  const spoolDir = join(config.dataDir, 'imports');
  /** bodies spooled and not yet removed */
  const spooled = new Set<string>();
  /** spooled bodies an async job still reads */
  const claimed = new Set<string>();

  // The body goes to a file as it arrives: the route's body is the spooled file's path.
  app.addContentTypeParser('text/csv', { bodyLimit: limit }, async (_request: unknown, payload: NodeJS.ReadableStream) => {
    mkdirSync(spoolDir, { recursive: true });
    const path = join(spoolDir, `${randomUUID()}.upload.csv`);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > limit) {
          callback(Object.assign(new Error(`the CSV body is larger than ${limit} bytes (import.maxUploadBytes): split the file into parts, each starting with the header row, and import them one after another`), { statusCode: 413 }));
        } else callback(null, chunk);
      },
    });
    try {
      await pipeline(payload, counter, createWriteStream(path));
    } catch (err) {
      rmSync(path, { force: true });
      throw err;
    }
    spooled.add(path);
    return path;
  });
  // Only text/csv: a JSON or text/plain body would otherwise parse into a string too.
  app.addHook('preValidation', async (request, reply) => {
    if (!/^text\/csv\b/i.test(request.headers['content-type'] ?? '')) {
      return reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the CSV as content-type text/csv', details: { field: 'headers.content-type' } } });
    }
  });
  // A spooled body no job reads any more is removed, whatever the answer was.
  app.addHook('onResponse', async (request) => {
    const path = request.body;
    if (typeof path === 'string' && spooled.has(path) && !claimed.has(path)) {
      spooled.delete(path);
      rmSync(path, { force: true });
    }
  });

  const encodingOf = (query: { encoding?: string | undefined }, contentType: string | undefined): Encoding | undefined => {
    const charset = charsetOf(contentType);
    const fromQuery = query.encoding === undefined ? undefined : encodingNamed(query.encoding, 'encoding');
    const fromHeader = charset === undefined ? undefined : encodingNamed(charset, 'content-type charset');
    if (fromQuery && fromHeader && fromQuery !== fromHeader) {
      throw new AppError('VALIDATION', `encoding ${fromQuery} and the content-type's charset ${fromHeader} disagree: give one`, { field: 'encoding' });
    }
    return fromQuery ?? fromHeader;
  };

  for (const kind of ['accounts', 'meters'] as const satisfies readonly ImportKind[]) {
    const columns = Object.keys((kind === 'accounts' ? AccountInputSchema : MeterInputSchema).properties).join(',');
    app.post(`/v1/import/${kind}`, {
      config: { roles: ['admin'] },
      bodyLimit: limit,
      schema: {
        tags: ['import'],
        summary: `Import ${kind} from CSV (text/csv; UTF-8, GBK or GB18030); bad rows are reported, good rows imported`,
        description: `Columns (header row, any order; empty cells take the defaults): ${columns}. The encoding is the charset parameter `
          + `(text/csv; charset=gbk), else ?encoding, else detected; a file that does not decode cleanly is refused naming its first bad row. `
          + `At most import.maxRows rows and import.maxUploadBytes bytes. The job is committed in chunks of import.chunkRows rows and may be resumed (?resume=<job id>) after a failure.`,
        consumes: ['text/csv'],
        querystring: Query,
        body: Type.String({ description: 'CSV text' }),
        response: { 200: ImportJobView, 202: ImportJobView, ...errorResponses, 413: errorResponses[400], 415: errorResponses[400] },
      },
    }, async (request, reply) => {
      const q = request.query;
      const path = request.body;
      const jobId = randomUUID();
      const encoding = encodingOf(q, request.headers['content-type']);
      const run = importAsync(repos, config, kind, fileSource(path, 'upload'), actorOf(request), services.now, {
        mode: q.mode ?? 'create', dryRun: q.dryRun === true, ids: q.ids === true, jobId,
        ...(q.migration !== undefined ? { migration: q.migration } : {}), ...(q.resume !== undefined ? { resume: q.resume } : {}),
        ...(encoding ? { encoding } : {}),
        onAccountsChanged: (ids) => {
          for (const id of ids) services.events.emit('balance-changed', id);
        },
      });
      if (q.async !== true) return run;
      claimed.add(path);
      run.catch((err: unknown) => request.log.warn({ err, jobId }, 'import job failed')).finally(() => {
        claimed.delete(path);
        spooled.delete(path);
        rmSync(path, { force: true });
      });
      // The job row exists once the import has started (synchronously, before its first yield).
      const job = repos.imports.get(q.resume ?? jobId);
      if (!job) return run;
      return reply.status(202).header('location', `/v1/import/jobs/${job.id}`).send(jobView(job));
    });
  }
};
