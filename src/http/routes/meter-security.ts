// A meter's security mode and key version (admin): read, set, or back to its bus's default.
// 'esam' meters are authenticated (03H) and sent 0x1C encrypted under the session by the
// security module (docs/security-module.md); the key version follows the meter's key updates.
// Every change is audited with its actor.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { AppError } from '../../errors.js';

const MeterSecurityView = Type.Object({
  mode: Type.Union([Type.Literal('plaintext'), Type.Literal('esam')], { description: "'plaintext' 0x1C with a password level, or 'esam' (identity authentication, then 0x1C PA 98H)" }),
  keyVersion: Type.Integer({ minimum: 0, maximum: 255, description: "the key version the meter's ESAM holds" }),
  source: Type.Union([Type.Literal('meter'), Type.Literal('bus'), Type.Literal('default')], { description: "where it comes from: the meter's own, its bus's (configuration), or plaintext by default" }),
});

export const meterSecurityRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const { repos, config } = services;
  const busSecurity = (busId: string | null) => {
    const bus = config.buses.find((b) => b.id === busId);
    return bus && bus.kind !== 'modbus-tcp' ? bus.dlt645?.security : undefined;
  };
  const view = (meterId: string) => {
    const meter = repos.meters.get(meterId);
    if (!meter) throw new AppError('METER_NOT_FOUND', `meter ${meterId} does not exist`);
    const own = repos.meterSecurity.get(meterId);
    if (own) return { ...own, source: 'meter' as const };
    const bus = busSecurity(meter.busId);
    return bus ? { mode: bus.mode, keyVersion: bus.keyVersion, source: 'bus' as const } : { mode: 'plaintext' as const, keyVersion: 0, source: 'default' as const };
  };
  const params = Type.Object({ id: Type.String({ minLength: 1 }) });

  app.get('/v1/meters/:id/security', {
    config: { roles: ['admin', 'operator'] },
    schema: { tags: ['meters'], summary: "A meter's security mode and key version, and where they come from", params, response: { 200: MeterSecurityView, ...errorResponses } },
  }, async (request) => view(request.params.id));

  app.put('/v1/meters/:id/security', {
    config: { roles: ['admin'] },
    schema: {
      tags: ['meters'], summary: "Set a meter's own security mode and key version (over its bus's)", params,
      body: Type.Object({ mode: MeterSecurityView.properties.mode, keyVersion: MeterSecurityView.properties.keyVersion }, { additionalProperties: false }),
      response: { 200: MeterSecurityView, ...errorResponses },
    },
  }, async (request) => {
    const id = request.params.id;
    if (!repos.meters.get(id)) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    const now = services.now();
    repos.transaction(() => {
      repos.meterSecurity.set(id, request.body, now);
      repos.journal.audit(actorOf(request), 'meter-security-set', id, { mode: request.body.mode, keyVersion: request.body.keyVersion }, now);
    });
    return view(id);
  });

  app.delete('/v1/meters/:id/security', {
    config: { roles: ['admin'] },
    schema: { tags: ['meters'], summary: "Back to the bus's security mode and key version", params, response: { 200: MeterSecurityView, ...errorResponses } },
  }, async (request) => {
    const id = request.params.id;
    if (!repos.meters.get(id)) throw new AppError('METER_NOT_FOUND', `meter ${id} does not exist`);
    const now = services.now();
    repos.transaction(() => {
      if (repos.meterSecurity.clear(id)) repos.journal.audit(actorOf(request), 'meter-security-cleared', id, {}, now);
    });
    return view(id);
  });
};
