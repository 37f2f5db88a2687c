/**
 * The one command table: the CLI, Slack and Discord parse with it, help, usage lines and
 * Discord's command definitions are generated from it, and the app's handler map is typed by
 * it (a command without a handler, or a handler without a command, fails the type-check).
 */

export type ArgType = 'text' | 'number' | 'time' | 'yesno' | 'path';

export interface ArgSpec {
  name: string;
  type: ArgType;
  required: boolean;
  description: string;
  /** The last argument only: takes this word and every one after it (`validate a.yaml b.yaml`). */
  variadic?: boolean;
}

export interface OptionSpec {
  name: string;
  /** `flag` takes no value (`--json`, `force`); `value` takes one (`--at 2026-03-01`). */
  takes: 'flag' | 'value';
  type?: ArgType;
  description: string;
  /** Also accepted as a bare word in chat, as DESIGN.md writes it: `record users 420 at 2026-03-01`. */
  word?: boolean;
}

/** Where a command is run: a terminal (the CLI), or a chat (Slack, Discord). */
export type Platform = 'cli' | 'chat';

export interface CommandSpec<Name extends string = string> {
  name: Name;
  summary: string;
  args: readonly ArgSpec[];
  options: readonly OptionSpec[];
  /** Changes state: only admins may run it from chat, and it is audited. */
  mutates: boolean;
  /** Where it exists: some only from a terminal (files, database administration). */
  platforms: readonly Platform[];
}

const EVERYWHERE: readonly Platform[] = ['cli', 'chat'];
const TERMINAL: readonly Platform[] = ['cli'];

const roadmapOption: OptionSpec = {
  name: 'roadmap',
  takes: 'value',
  type: 'text',
  // Short: repeated in nearly every Discord subcommand, which share 4,000 characters.
  description: 'roadmap id (optional if only one is loaded)',
};
/** From the CLI a channel is named; in chat it is the channel the command was typed in. */
const channelOption: OptionSpec = {
  name: 'channel',
  takes: 'value',
  type: 'text',
  description:
    'slack:<channel-id>, discord:<channel-id> or console:<name> (CLI only; chat uses the current channel)',
};
const nowOption: OptionSpec = {
  name: 'now',
  takes: 'value',
  type: 'time',
  description: 'as of this moment, with only the data known then',
};

const publicOption: OptionSpec = {
  name: 'public',
  takes: 'flag',
  description: 'post to the channel',
  word: true,
};

const TABLE = [
  {
    name: 'status',
    summary: 'stage, triggers with value/threshold/progress/state, gates, budget, targets',
    args: [],
    options: [
      roadmapOption,
      nowOption,
      { name: 'json', takes: 'flag', description: 'the stable JSON document (see README)' },
      {
        name: 'public',
        takes: 'flag',
        description: 'post to the channel instead of only to you',
        word: true,
      },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    // Not mutating: whoever may read `status` may open the page (README "Web view").
    name: 'link',
    summary: "a link to the roadmap's web page",
    args: [],
    options: [
      roadmapOption,
      // Short: Discord's 4,000 characters are nearly all taken.
      {
        name: 'ttl',
        takes: 'value',
        type: 'text',
        description: 'valid for: 1m to 366d (default 7d)',
      },
      { name: 'tv', takes: 'flag', description: 'TV mode' },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'metrics',
    summary: 'latest values with change; one metric: its history',
    args: [{ name: 'name', type: 'text', required: false, description: 'a metric name' }],
    options: [
      roadmapOption,
      nowOption,
      {
        name: 'window',
        takes: 'value',
        type: 'text',
        description: 'history window such as 7d (default 30d)',
      },
      { name: 'public', takes: 'flag', description: 'post to the channel', word: true },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'forecast',
    summary: 'when each trigger and target will be reached, with an 80% interval',
    args: [],
    options: [
      roadmapOption,
      nowOption,
      { name: 'json', takes: 'flag', description: 'as JSON' },
      { name: 'public', takes: 'flag', description: 'post to the channel', word: true },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'record',
    summary: 'record a metric point by hand',
    args: [
      { name: 'metric', type: 'text', required: true, description: 'a metric name' },
      {
        name: 'value',
        type: 'number',
        required: true,
        description: 'the value: 420, 1.5s, 99.5%, $1.2k',
      },
    ],
    options: [
      roadmapOption,
      {
        name: 'at',
        takes: 'value',
        type: 'time',
        description: 'when it was measured (default now)',
        word: true,
      },
    ],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'set',
    summary: 'set a flag metric',
    args: [
      { name: 'flag', type: 'text', required: true, description: 'a metric with unit flag' },
      { name: 'value', type: 'yesno', required: true, description: 'yes or no' },
    ],
    options: [roadmapOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'gates',
    summary: "the current stage's checklist",
    args: [],
    options: [
      roadmapOption,
      { name: 'public', takes: 'flag', description: 'post to the channel', word: true },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'check',
    summary: 'tick a gate or a to-do of the current stage',
    // Named `gate` since v1 (a Discord option name): to-dos share the gates' ids per stage.
    args: [{ name: 'gate', type: 'text', required: true, description: 'a gate or to-do id' }],
    options: [roadmapOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'uncheck',
    summary: 'untick a gate or a to-do of the current stage',
    args: [{ name: 'gate', type: 'text', required: true, description: 'a gate or to-do id' }],
    options: [roadmapOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'advance',
    summary: 'move to the next stage (every gate must pass unless forced)',
    args: [],
    options: [
      roadmapOption,
      {
        name: 'force',
        takes: 'flag',
        description: 'advance with gates still open (recorded)',
        word: true,
      },
    ],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'budget',
    summary: "the stage's budget lines and totals, with burn dates",
    args: [],
    options: [roadmapOption, nowOption, publicOption],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'plan',
    summary: 'each plan: expected, actual, state and scenario',
    args: [],
    options: [roadmapOption, nowOption, publicOption],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'tracks',
    summary: "each track's current and due step, capacity and state",
    args: [],
    options: [roadmapOption, nowOption, publicOption],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'move',
    summary: 'move a track to another step (backwards is a rollback)',
    args: [
      { name: 'track', type: 'text', required: true, description: 'a track id' },
      { name: 'step', type: 'text', required: true, description: 'a step id of that track' },
    ],
    options: [roadmapOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'alerts',
    summary: 'firing, pending and approaching alerts; `alerts history` for past episodes',
    args: [
      {
        name: 'history',
        type: 'text',
        required: false,
        description: 'the word "history" for past episodes',
      },
    ],
    options: [
      roadmapOption,
      { name: 'public', takes: 'flag', description: 'post to the channel', word: true },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'ack',
    summary: 'acknowledge a firing alert (stops its repeats)',
    args: [
      {
        name: 'alert',
        type: 'text',
        required: true,
        description: 'an alert id, or <stage>.upgrade',
      },
    ],
    options: [roadmapOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'snooze',
    summary: "silence a firing alert's repeats for a while",
    args: [
      {
        name: 'alert',
        type: 'text',
        required: true,
        description: 'an alert id, or <stage>.upgrade',
      },
      { name: 'duration', type: 'text', required: true, description: 'how long, such as 1d or 1w' },
    ],
    options: [roadmapOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'subscribe',
    summary:
      'post alerts (at a minimum severity) or a daily digest (at HH:MM in a timezone) to this channel',
    args: [
      { name: 'what', type: 'text', required: true, description: 'digest or alerts' },
      {
        name: 'when',
        type: 'text',
        required: false,
        description:
          'digest: HH:MM (default 09:00); alerts: info, warning or critical (default info)',
      },
      {
        name: 'timezone',
        type: 'text',
        required: false,
        description: "digest: an IANA timezone (default the roadmap's)",
      },
    ],
    options: [roadmapOption, channelOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'unsubscribe',
    summary: 'stop posting alerts or the digest to this channel',
    args: [{ name: 'what', type: 'text', required: true, description: 'digest or alerts' }],
    options: [roadmapOption, channelOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'digest',
    summary: 'show the digest as it would be sent now (nothing is sent)',
    args: [],
    options: [
      roadmapOption,
      {
        name: 'dry-run',
        takes: 'flag',
        description: 'only show it (the default: digests are sent on schedule)',
      },
      { name: 'public', takes: 'flag', description: 'post to the channel', word: true },
    ],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'deliveries',
    summary:
      'the outbox: recent and failed deliveries; `deliveries retry <id>` sends a failed one again',
    args: [
      { name: 'action', type: 'text', required: false, description: 'retry' },
      { name: 'id', type: 'text', required: false, description: 'the delivery id to retry' },
    ],
    options: [{ name: 'failed', takes: 'flag', description: 'only failed deliveries' }],
    mutates: false,
    platforms: EVERYWHERE,
  },
  {
    name: 'import',
    summary: 'import metric points from a CSV file (all or nothing)',
    args: [
      {
        name: 'file',
        type: 'path',
        required: true,
        description: 'CSV with a header: metric,value,at[,source][,roadmap]',
      },
    ],
    options: [roadmapOption],
    mutates: true,
    platforms: TERMINAL,
  },
  {
    name: 'token',
    summary:
      'push API tokens: `token create <name> --roadmaps a,b [--json]` (shown once), `token list`, `token revoke <name|id>`',
    args: [
      { name: 'action', type: 'text', required: true, description: 'create, list or revoke' },
      {
        name: 'name',
        type: 'text',
        required: false,
        description: 'the token name (create) or name or id (revoke)',
      },
    ],
    options: [
      {
        name: 'roadmaps',
        takes: 'value',
        type: 'text',
        description: 'comma-separated roadmap ids the token may use, or * for all (create)',
      },
      {
        name: 'json',
        takes: 'flag',
        description: 'create: print {id, name, token, roadmaps} as JSON, for scripts',
      },
    ],
    mutates: true,
    platforms: TERMINAL,
  },
  {
    name: 'discord',
    summary: 'register the /roadmap command with Discord: `discord register [--guild id]`',
    args: [{ name: 'action', type: 'text', required: true, description: 'register' }],
    options: [
      {
        name: 'guild',
        takes: 'value',
        type: 'text',
        description: 'a server id: register there only (instant), instead of globally',
      },
    ],
    mutates: false,
    platforms: TERMINAL,
  },
  {
    name: 'chart',
    summary: "write a PNG chart of a metric: history, the stage's thresholds, the forecast",
    args: [{ name: 'metric', type: 'text', required: true, description: 'a metric name' }],
    options: [
      roadmapOption,
      nowOption,
      {
        name: 'output',
        takes: 'value',
        type: 'path',
        description: 'file to write (default <metric>.png); -o works too',
      },
    ],
    mutates: false,
    platforms: TERMINAL,
  },
  {
    name: 'validate',
    summary: 'check roadmap files and list every problem (exit 1 if any file has errors)',
    args: [
      {
        name: 'file',
        type: 'path',
        required: false,
        description: 'files or folders, several allowed: roadmaps/*.yaml (default ROADMAPS_DIR)',
        variadic: true,
      },
    ],
    options: [],
    mutates: false,
    platforms: TERMINAL,
  },
  {
    name: 'migrate',
    summary: 'apply database migrations',
    args: [],
    options: [],
    mutates: true,
    platforms: TERMINAL,
  },
  {
    name: 'use',
    summary:
      'bind this channel to a roadmap (its commands and subscriptions then need no --roadmap)',
    args: [{ name: 'roadmap', type: 'text', required: true, description: 'a roadmap id' }],
    options: [channelOption],
    mutates: true,
    platforms: EVERYWHERE,
  },
  {
    name: 'help',
    summary: 'usage of every command, or of one',
    args: [{ name: 'command', type: 'text', required: false, description: 'a command name' }],
    options: [],
    mutates: false,
    platforms: EVERYWHERE,
  },
] as const satisfies readonly CommandSpec[];

/** Every command's name: the keys the app's handler map must have, no more and no fewer. */
export type CommandName = (typeof TABLE)[number]['name'];

/** A command of the table, its name known to be one of the table's. */
export type TableCommand = CommandSpec<CommandName>;

/** The table, typed plainly for the code that walks it (the literal types stay in CommandName). */
export const COMMANDS: readonly TableCommand[] = TABLE;

export function findCommand(name: string): TableCommand | undefined {
  return COMMANDS.find((c) => c.name === name.toLowerCase());
}

/** Whether the command exists on the platform (`import` is not one chat can run). */
export function availableOn(spec: Pick<CommandSpec, 'platforms'>, platform: Platform): boolean {
  return spec.platforms.includes(platform);
}

/** `record <metric> <value> [--at <time>] [--roadmap <id>]` */
export function usageOf(spec: CommandSpec): string {
  const args = spec.args.map((a) => {
    const name = a.variadic ? `${a.name}...` : a.name;
    return a.required ? `<${name}>` : `[${name}]`;
  });
  const options = spec.options.map((o) =>
    o.takes === 'flag' ? `[--${o.name}]` : `[--${o.name} <${o.type === 'time' ? 'time' : o.name}>]`,
  );
  return [spec.name, ...args, ...options].join(' ');
}
