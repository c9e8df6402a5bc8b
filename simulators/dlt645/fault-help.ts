// The `--fault` section of the simulator's and the demo's --help: the grammar in fault-grammar.ts,
// in the words an integrator rehearsing faults reads (a test checks that it names every effect,
// request word and refusal the grammar knows).

export const FAULT_HELP = `Faults (repeat --fault for several; a meter's faults are asked in the order given, the
first that acts wins; without a fault a meter answers as a healthy meter does):
  --fault METER=EFFECT[:ARG][,KEY=VALUE]...

  METER                 a 12-digit address, or all (every meter on the bus)
  EFFECT
    silent              no reply at all (the meter did not hear the request)
    garbage             line noise before and after the reply
    bad-checksum        the reply with its checksum byte off by one
    truncated[:N]       only the first N bytes of the reply (default: all but the last 3)
    slow-bytes:DUR      the reply with a pause of DUR between its bytes
    delay:DUR           the reply after DUR instead of the response delay Td
    wrong-address[:A]   the reply carrying another meter's address (default: last digit + 1)
    refuse[:REASON]     refuses relay commands (1CH) without acting on them; REASON is one of
                        other, keep-power, unauthorised, expired (default other)
    refuse-reconnect    refuse,only=reconnect (1B and 1C)
    refuse-disconnect   refuse,only=disconnect (1A)
    missing:DI          answers reads of DI with "no requested data", as a meter without
                        the register does (e.g. missing:status-word-3)
  KEY=VALUE (the schedule; all optional, combined)
    only=R[+R...]       the requests the fault looks at: read, read-address, control (1CH),
                        disconnect, reconnect, close-permitted, direct-close, alarm,
                        alarm-release, keep-power, keep-power-release,
                        or reads of one data identifier (04000503 or status-word-3).
                        Default: every request (refuse: 1CH; missing: reads of its DI)
    after=DUR           from DUR after the simulator started (default at once)
    for=DUR             for DUR, then the meter behaves again (default for ever)
    rate=N/M            on N of every M requests it looks at, the first N of each run
    count=N             on N requests, then the fault is spent
  DUR is a whole number with ms, s, m or h: 800ms, 30s, 2m. Broadcast time (08H) is never faulted.

  Examples:
    --fault 000000000003=silent,for=30s            silent for the first 30 s
    --fault 000000000002=bad-checksum,rate=1/5     a wrong checksum on 1 reply in 5
    --fault 000000000001=refuse-reconnect          every reconnect refused
    --fault 000000000004=refuse:keep-power,only=disconnect
    --fault all=slow-bytes:300ms,after=1m,count=10
`;
