"""The bot's use cases: what each slash command, button, form, scheduled post and nudge does. One module each.

- `calls`: `/call`, the call form, `/log`: storing an entry with its lead, rollup and nudges.
- `messages`: what a rep types to the bot in its DM (the Messages tab), answered there.
- `followups`: a due follow-up, the buttons on a follow-up, `/coach away` and `back`.
- `daylist`: the day's follow-up list (one DM a day, updated in place) and the notification budget.
- `breaks`: `/break`, `/focus`, the break suggestion and its button, the focus summary.
- `tips`: the coaching tip after an entry, once a day per rule.
- `coach`: `/coach`: the scorecard, and its subcommands, each handed to its use case.
- `preferences`: a rep's own language, hours, privacy and digest switches.
- `leaderboard`: `/leaderboard` for one rep, and subscribing a channel.
- `posts`: the scheduled channel posts. `digest`: the manager's weekly digest.
- `managers`: who manages, `/coach managers`, the `/coach settings` form.
- `privacy`: `/coach export`, `/coach forget`, how a private rep appears.
- `home`: the App Home.
- `due`: what a due nudge becomes, by kind (the sweep's `decide`, `plan`, `after_sent`).
- `reps`: who a rep is (`RepProfile`, `RepDirectory`). `replies`: what a use case hands back.

Each takes the process's `bot.runtime.Runtime` (or an open session) and returns what the rep reads, already in
their language. May import `bot.storage`, `bot.outbox`, `bot.slack` and `coaching`; imported by `handlers` and
`bot.runtime`, never the other way round.
"""
