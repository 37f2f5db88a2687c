/**
 * The shared message model: what the bot says, independent of where. Renderers turn it
 * into text (CLI, console), Block Kit (Slack) or embeds (Discord).
 */

export type Icon =
  | 'firing'
  | 'pending'
  | 'approaching'
  | 'ok'
  | 'resolved'
  | 'unknown'
  | 'passed'
  | 'open'
  | 'met'
  | 'missed'
  | 'info'
  | 'error';

export interface Line {
  icon?: Icon;
  text: string;
  detail?: string;
  /** 0..1 and beyond: drawn as a bar, capped at full. */
  progress?: number;
  /** Recent values, drawn as a sparkline. */
  series?: number[];
}

export interface Section {
  title?: string;
  lines: Line[];
  /** Lines left out to stay within a platform's limits or for brevity. */
  omitted?: number;
}

export type Tone = 'ok' | 'info' | 'warn' | 'alert' | 'error';

/**
 * A button on a message. Its `command` is a command line run through the same command layer
 * as typed commands, by whoever clicks, so buttons need no handlers of their own.
 */
export interface Action {
  id: string;
  label: string;
  command: string;
  style?: 'primary' | 'danger';
}

/**
 * A button that opens a web address instead of running a command (the roadmap's page): Block
 * Kit and Discord show it as a link button, plain text as a line.
 */
export interface LinkButton {
  label: string;
  url: string;
}

export interface Message {
  title: string;
  subtitle?: string;
  tone: Tone;
  sections: Section[];
  /** One line for notifications and clients that cannot show the rest. */
  fallback: string;
  actions?: Action[];
  links?: LinkButton[];
  /** Shown small at the bottom (who acknowledged, when it was evaluated). */
  footer?: string;
  /** Critical alerts may page people (a role mention on Discord, @channel-style on Slack). */
  urgent?: boolean;
}
