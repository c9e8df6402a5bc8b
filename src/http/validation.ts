// Request validation with two Ajv instances, one per kind of input:
//
//   body (JSON)                    ─▶ strict: checked as sent, never converted. "100", true, [100]
//                                     and 100.5 are not the integer 100: money and energy fields
//                                     refuse them, naming the field.
//   querystring, params, headers   ─▶ text: converted to the types their schemas name (?limit=50 is
//                                     the integer 50), then every number is checked to be finite.
//
// The second check exists because Ajv's conversion turns "1e309" and "Infinity" into Infinity and
// then skips `minimum`/`maximum` for non-finite numbers: ?limit=1e309 would pass a bound of 500.
import AjvCompiler, { type BuildCompilerFromPool } from '@fastify/ajv-compiler';

type ValidateFn = ((data: unknown, ctx?: unknown) => boolean) & { errors?: unknown[] | null; schemaEnv?: unknown };

/** Ajv options shared by both instances (the rest are Fastify's defaults). */
export const AJV_OPTIONS = { removeAdditional: false, allErrors: false } as const;

/** The path (Ajv instancePath style, "/a/0/b") of the first number that is not finite, or null. */
export function nonFinitePath(value: unknown, path = ''): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    const found = nonFinitePath(v, `${path}/${k}`);
    if (found !== null) return found;
  }
  return null;
}

/** Wraps a converting validator so that a converted value that is not a finite number is refused. */
function finiteOnly(validate: ValidateFn): ValidateFn {
  const wrapped: ValidateFn = (data, ctx) => {
    if (!validate(data, ctx)) {
      wrapped.errors = validate.errors ?? null;
      return false;
    }
    const at = nonFinitePath(data);
    if (at === null) {
      wrapped.errors = null;
      return true;
    }
    wrapped.errors = [{ instancePath: at, schemaPath: '#', keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' }];
    return false;
  };
  // Fastify passes the parent object to validators that have one, so defaults reach the request.
  wrapped.schemaEnv = validate.schemaEnv;
  return wrapped;
}

/** The `schemaController.compilersFactory.buildValidator` of the app: strict bodies, converted text. */
export function buildValidator(): BuildCompilerFromPool {
  const strictPool = AjvCompiler();
  const textPool = AjvCompiler();
  return (externalSchemas, ajv) => {
    const options = ajv as { customOptions?: Record<string, unknown>; plugins?: unknown[] } | undefined;
    const custom = { ...options?.customOptions, ...AJV_OPTIONS };
    const strict = strictPool(externalSchemas, { ...options, customOptions: { ...custom, coerceTypes: false } } as never);
    const text = textPool(externalSchemas, { ...options, customOptions: { ...custom, coerceTypes: 'array' } } as never);
    // Fastify calls the compiler with the route definition ({schema, method, url, httpPart}); the
    // package's types name only the schema.
    return (route) => ((route as { httpPart?: string }).httpPart === 'body'
      ? strict(route)
      : finiteOnly(text(route) as unknown as ValidateFn)) as ReturnType<typeof strict>;
  };
}
