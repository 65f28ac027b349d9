"""The kinds of event in an attempt's log, and what each one's `data` holds.

Every event also carries, in its envelope (dojo.store.Event): wall_s (learner seconds since the
attempt began), scenario_t (the replay clock) and at (real-world UTC time).

    started        {rules, scenario_id, title, digest, seed, speed, mode, clock, start_t, time_limit}
    resumed        {session: n}
    ended          {reason: quit|eof|output error}      a session closed cleanly (the attempt stays open)
    clock          {action: pause|resume|speed|advance, value}
    query          {what: logs|metrics|traces|trace|events, args, count}
    hypothesis     {id: H1, text, service, fault}       created
    hypothesis_update {id, status?, text?, service?, fault?}
    pin            {item, kind, hypothesis, note, summary, snapshot}
    unpin          {item, hypothesis}                   that pin no longer argues the case
    hint           {index, cost}
    diagnosis      {service, fault, trigger, trigger_ref, explanation, correct, verdict}
    gave_up        {}
    timed_out      {limit}
    action         {kind, service, params, at}        the learner changed the system at `at` (Session.act)
"""

STARTED = "started"
RESUMED = "resumed"
ENDED = "ended"
CLOCK = "clock"
QUERY = "query"
HYPOTHESIS = "hypothesis"
HYPOTHESIS_UPDATE = "hypothesis_update"
PIN = "pin"
UNPIN = "unpin"
HINT = "hint"
DIAGNOSIS = "diagnosis"
GAVE_UP = "gave_up"
TIMED_OUT = "timed_out"
ACTION = "action"

# After one of these the attempt takes no more actions.
TERMINAL = (GAVE_UP, TIMED_OUT)
