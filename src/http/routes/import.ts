// Bulk import of accounts and meters from CSV (admin). The body is text/csv whose first row names
// the columns; the answer lists every bad row with its row number, field and reason, while the
// good rows are created. ?dryRun=true checks everything and creates nothing.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { Nullable, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { checkCharset, decodeUtf8 } from '../body.js';
import { importCsv, MAX_IMPORT_ROWS, type ImportKind } from '../../fleet-import.js';
import { AccountInputSchema, MeterInputSchema } from '../../fleet.js';

/** An import body may be larger than an ordinary request (resource limit). */
export const IMPORT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;

const ImportResult = Type.Object({
  kind: Type.String(),
  dryRun: Type.Boolean(),
  rows: Type.Integer(),
  created: Type.Integer(),
  createdIds: Type.Array(Type.String()),
  errors: Type.Array(Type.Object({
    row: Type.Integer({ description: 'spreadsheet row number; the header is row 1' }),
    id: Nullable(Type.String()), field: Nullable(Type.String()), code: Type.String(), message: Type.String(),
  })),
});

export const importRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  // Decoded strictly: a file saved in GBK is refused, never read with its text replaced.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT_BYTES }, (request, body, done) => {
    try {
      checkCharset(request);
      done(null, decodeUtf8(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  // Only text/csv: a JSON or text/plain body would otherwise parse into a string too.
  app.addHook('preValidation', async (request, reply) => {
    if (!/^text\/csv\b/i.test(request.headers['content-type'] ?? '')) {
      return reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the CSV as content-type text/csv', details: { field: 'headers.content-type' } } });
    }
  });

  for (const kind of ['accounts', 'meters'] as const satisfies readonly ImportKind[]) {
    const columns = Object.keys((kind === 'accounts' ? AccountInputSchema : MeterInputSchema).properties).join(',');
    app.post(`/v1/import/${kind}`, {
      config: { roles: ['admin'] },
      bodyLimit: IMPORT_BODY_LIMIT_BYTES,
      schema: {
        tags: ['import'],
        summary: `Create ${kind} from CSV (text/csv, at most ${MAX_IMPORT_ROWS} rows); bad rows are reported, good rows created`,
        description: `Columns (header row, any order; empty cells take the defaults): ${columns}`,
        consumes: ['text/csv'],
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ description: 'check every row, create nothing' })) }, { additionalProperties: false }),
        body: Type.String({ description: 'CSV text' }),
        response: { 200: ImportResult, ...errorResponses, 415: errorResponses[400] },
      },
    }, async (request) => importCsv(services.repos, services.config, kind, request.body, actorOf(request), services.now(), {
      dryRun: request.query.dryRun === true,
    }));
  }
};
