// `feikong calendar status|show|set|remove`: the no-cut calendar's official holiday schedules on
// the configured database — the same as /v1/calendar, for entering the State Council's schedule
// each autumn without the API. Every change is audited with the CLI user; a running daemon
// follows it within one engine sweep (engine.sweepIntervalMs).
import { readFileSync } from 'node:fs';
import { createLogger } from '../logger.js';
import { CalendarService, type EffectiveSchedule } from '../calendar/service.js';
import { SCHEDULE_YEARS } from '../domain/holiday-schedule.js';
import { parseArgs, optionValue, UsageError } from './args.js';
import { cliActor, cliSettings, withRepositories, type CliIo, type CliSettings } from './context.js';
import type { Repositories } from '../db/repo/index.js';

export const CALENDAR_HELP = `Usage: feikong calendar <command> [options]

Commands:
  status                           whether this year and the next have their official holiday
                                   schedule, and what to enter
  show YEAR                        the public holidays and make-up workdays YEAR is judged by,
                                   and where they come from (operator, library, derived)
  set YEAR FILE.json --reason R    enter YEAR's official schedule from a JSON file:
                                   {"holidays": [{"name": "春节", "from": "2027-02-06", "to": "2027-02-13"}, …],
                                    "makeUpWorkdays": [{"date": "2027-02-20", "name": "春节"}, …]}
                                   it takes precedence over chinese-days and derived holidays
  remove YEAR --reason R           remove YEAR's entered schedule (back to chinese-days or derivation)

Options:
  --reason TEXT                    why (e.g. the notice: 国办发明电〔2026〕N号); audited
  --config FILE                    configuration file (default: FEIKONG_CONFIG)
  --help                           this text
`;

function yearOf(arg: string | undefined, command: string): number {
  const year = Number(arg);
  if (!arg || !/^\d{4}$/.test(arg) || year < SCHEDULE_YEARS.first || year > SCHEDULE_YEARS.last) {
    throw new UsageError(`calendar ${command} needs a year from ${SCHEDULE_YEARS.first} to ${SCHEDULE_YEARS.last}`);
  }
  return year;
}

function withCalendar<T>(settings: CliSettings, io: CliIo, fn: (calendar: CalendarService, repos: Repositories) => T): T {
  return withRepositories(settings, io, (repos) => {
    const calendar = new CalendarService(repos, settings.config, createLogger('warn', io.err));
    calendar.refresh();
    return fn(calendar, repos);
  });
}

function printSchedule(io: CliIo, s: EffectiveSchedule): void {
  const by = s.entered ? `, entered by ${s.entered.actor} (${s.entered.origin}) at ${new Date(s.entered.updatedAt).toISOString()}: ${s.entered.reason}` : '';
  io.out.write(`${s.year}: ${s.covered ? 'official schedule' : 'no official schedule'} (source ${s.source}${by})\n`);
  if (s.source === 'suspended') io.out.write('  no automatic cut-offs this year (engine.noCut.uncoveredYear = suspend)\n');
  for (const h of s.holidays) io.out.write(`  holiday  ${h.from}${h.to === h.from ? '           ' : ` – ${h.to}`}  ${h.name}${s.provisional ? ' (provisional)' : ''}\n`);
  for (const w of s.makeUpWorkdays) io.out.write(`  workday  ${w.date}               ${w.name ? `makes up for ${w.name}` : 'make-up workday'}\n`);
}

export function calendarCommand(argv: string[], io: CliIo): number {
  const args = parseArgs(argv, { reason: 'value', config: 'value', help: 'flag' });
  const [sub, ...rest] = args.positionals;
  if (args.options.help || !sub) {
    io.out.write(CALENDAR_HELP);
    return args.options.help ? 0 : 2;
  }
  const config = cliSettings(optionValue(args, 'config'), io);
  const actor = cliActor(io.env);
  const reason = optionValue(args, 'reason');
  switch (sub) {
    case 'status':
      return withCalendar(config, io, (calendar) => {
        for (const c of calendar.coverage()) io.out.write(`${c.year}  ${c.covered ? 'covered    ' : 'NOT COVERED'}  source ${c.source}\n`);
        const notices = calendar.notices();
        for (const n of notices) io.out.write(`warning: ${n.message}\n`);
        return 0;
      });
    case 'show': {
      const year = yearOf(rest[0], 'show');
      return withCalendar(config, io, (calendar) => {
        printSchedule(io, calendar.effective(year));
        return 0;
      });
    }
    case 'set': {
      const year = yearOf(rest[0], 'set');
      const file = rest[1];
      if (!file) throw new UsageError('calendar set needs the schedule\'s JSON file after the year');
      if (!reason || reason.trim().length < 3) throw new UsageError('calendar set needs --reason (at least 3 characters)');
      let input: unknown;
      try {
        input = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new UsageError(`cannot read the schedule ${file}: ${(err as Error).message}`);
      }
      return withCalendar(config, io, (calendar) => {
        const { replaced } = calendar.set(year, input, { origin: 'cli', actor, reason: reason.trim() });
        io.out.write(`${replaced ? 'replaced' : 'entered'} the holiday schedule of ${year}\n`);
        printSchedule(io, calendar.effective(year));
        return 0;
      });
    }
    case 'remove': {
      const year = yearOf(rest[0], 'remove');
      if (!reason || reason.trim().length < 3) throw new UsageError('calendar remove needs --reason (at least 3 characters)');
      return withCalendar(config, io, (calendar) => {
        calendar.remove(year, { actor, reason: reason.trim() });
        io.out.write(`removed the entered holiday schedule of ${year}; now:\n`);
        printSchedule(io, calendar.effective(year));
        return 0;
      });
    }
    default:
      throw new UsageError(`unknown calendar command "${sub}" (status, show, set, remove)`);
  }
}
