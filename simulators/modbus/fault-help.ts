// The `--fault` section of `feikong-sim modbus --help`: the Modbus effects (fault-grammar.ts) with
// the schedule every simulator shares (../fault-schedule.ts).
export const MODBUS_FAULT_HELP = `Faults (repeat --fault for several; a meter's faults are asked in the order given, the
first that acts wins; without a fault a meter answers as a healthy meter does):
  --fault UNIT=EFFECT[:ARG][,KEY=VALUE]...

  UNIT                  a unit id, or all (every meter)
  EFFECT
    silent              no reply at all
    exception[:CODE]    an exception response instead of the answer, without acting on the
                        request; CODE 1..255 (default 4, server device failure)
    bad-crc             the answer with its CRC broken (RTU; Modbus TCP has no CRC)
    delay:DUR           the answer DUR late
  KEY=VALUE (the schedule; all optional, combined)
    only=R[+R...]       the requests the fault looks at: read, write, disconnect (the map's
                        relay-open write), reconnect (its relay-close write), or a function
                        (readCoils, readDiscreteInputs, readHoldingRegisters, readInputRegisters,
                        writeSingleCoil, writeSingleRegister, writeMultipleCoils,
                        writeMultipleRegisters). Default: every request
    after=DUR           from DUR after the simulator started (default at once)
    for=DUR             for DUR, then the meter behaves again (default for ever)
    rate=N/M            on N of every M requests it looks at, the first N of each run
    count=N             on N requests, then the fault is spent
  DUR is a whole number with ms, s, m or h: 800ms, 30s, 2m.

  Examples:
    --fault 2=silent,for=30s                 unit 2 silent for the first 30 s
    --fault 1=bad-crc,rate=1/5               a broken CRC on 1 reply in 5
    --fault 1=exception,only=reconnect       every reconnect refused with exception 04
`;
