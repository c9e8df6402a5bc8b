// The no-cut calendar over the API: which years have their official holiday schedule (and what
// an operator must enter), the holidays and make-up workdays a year is judged by, and entering
// or removing a year's official schedule (admin; audited). An entered schedule takes precedence
// over the chinese-days library and over derived holidays (src/domain/holiday-calendar.ts).
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpServices } from '../services.js';
import { isoAt } from '../services.js';
import { Iso, Nullable, errorResponses } from '../schemas.js';
import { actorOf } from '../auth.js';
import { HolidaySpanSchema, MakeUpWorkdaySchema } from '../../config/schema.js';
import { localParts } from '../../domain/calendar.js';
import type { EffectiveSchedule } from '../../calendar/service.js';

const Source = Type.Union([Type.Literal('operator'), Type.Literal('library'), Type.Literal('derived'), Type.Literal('suspended')], {
  description: 'operator: a schedule entered by an operator; library: the chinese-days library; derived: provisional holidays derived from the calendar; suspended: none, no automatic cut-offs that year',
});
const Year = Type.Integer({ minimum: 2000, maximum: 2099 });
const Coverage = Type.Object({
  year: Type.Integer(),
  source: Source,
  covered: Type.Boolean({ description: "the year's official schedule is known (source operator or library)" }),
});
const Notice = Type.Object({ year: Type.Integer(), source: Source, message: Type.String() });

const Schedule = Type.Object({
  year: Type.Integer(),
  source: Source,
  covered: Type.Boolean(),
  provisional: Type.Boolean({ description: 'the holidays are derived, not official' }),
  holidays: Type.Array(Type.Object({ name: Type.String(), from: Type.String(), to: Type.String() }), { description: 'public holidays as spans of days off, both ends included' }),
  makeUpWorkdays: Type.Array(Type.Object({ date: Type.String(), name: Type.Optional(Type.String()) }), { description: 'weekend days declared working days (调休)' }),
  entered: Nullable(Type.Object({
    origin: Type.Union([Type.Literal('api'), Type.Literal('cli'), Type.Literal('config')]), actor: Type.String(), reason: Type.String(), updatedAt: Iso,
  }, { description: 'who entered the schedule, when source is operator' })),
});

const ScheduleBody = Type.Object({
  holidays: Type.Array(HolidaySpanSchema, { minItems: 1, maxItems: 60, description: 'every public holiday of the year as it is published, e.g. {"name":"春节","from":"2027-02-05","to":"2027-02-11"}' }),
  makeUpWorkdays: Type.Optional(Type.Array(MakeUpWorkdaySchema, { maxItems: 60, description: 'every make-up workday, e.g. {"date":"2027-02-20","name":"春节"}' })),
  reason: Type.String({ minLength: 3, maxLength: 500, description: 'e.g. the notice it comes from: 国办发明电〔2026〕N号' }),
}, { additionalProperties: false });

export const calendarRoutes: FastifyPluginAsyncTypebox<{ services: HttpServices }> = async (app, { services }) => {
  const tz = services.config.utcOffsetMinutes;
  const calendar = services.engine.calendar;
  const view = (s: EffectiveSchedule) => ({ ...s, entered: s.entered ? { ...s.entered, updatedAt: isoAt(s.entered.updatedAt, tz)! } : null });

  app.get('/v1/calendar', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['calendar'],
      summary: "Whether the current and the next year have their official holiday schedule, and what an operator must enter (the current year's if missing; from 1 November the next year's)",
      response: {
        200: Type.Object({
          today: Type.String({ description: 'the local date' }),
          uncoveredYear: Type.Union([Type.Literal('derive'), Type.Literal('suspend')], { description: 'engine.noCut.uncoveredYear' }),
          years: Type.Array(Coverage),
          notices: Type.Array(Notice),
        }),
        ...errorResponses,
      },
    },
  }, async () => {
    calendar.refresh();
    const now = services.now();
    return {
      today: localParts(now, tz).date, uncoveredYear: services.config.engine.noCut.uncoveredYear ?? 'derive',
      years: calendar.coverage(now), notices: calendar.notices(now),
    };
  });

  app.get('/v1/calendar/years/:year', {
    config: { roles: ['operator', 'billing', 'read-only'] },
    schema: {
      tags: ['calendar'], summary: 'The public holidays and make-up workdays a year is judged by, and where they come from',
      params: Type.Object({ year: Year }), response: { 200: Schedule, ...errorResponses },
    },
  }, async (request) => view(calendar.effective(request.params.year)));

  app.put('/v1/calendar/years/:year', {
    config: { roles: [] },
    schema: {
      tags: ['calendar'],
      summary: "Enter a year's official holiday schedule (replacing one entered before); it takes precedence over the library and derivation at once, in every daemon within a sweep",
      params: Type.Object({ year: Year }), body: ScheduleBody,
      response: { 200: Schedule, 201: Schedule, ...errorResponses },
    },
  }, async (request, reply) => {
    const { reason, ...schedule } = request.body;
    const { replaced } = calendar.set(request.params.year, schedule, { origin: 'api', actor: actorOf(request), reason });
    reply.code(replaced ? 200 : 201);
    return view(calendar.effective(request.params.year));
  });

  app.delete('/v1/calendar/years/:year', {
    config: { roles: [] },
    schema: {
      tags: ['calendar'], summary: "Remove a year's entered schedule: the year falls back to the library's, or to derived holidays",
      params: Type.Object({ year: Year }),
      querystring: Type.Object({ reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })) }),
      response: { 200: Schedule, ...errorResponses },
    },
  }, async (request) => {
    calendar.remove(request.params.year, { actor: actorOf(request), reason: request.query.reason ?? 'removed by an operator' });
    return view(calendar.effective(request.params.year));
  });
};
