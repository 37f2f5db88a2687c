import { pino, type Logger } from 'pino';

/** Structured JSON logs. Secrets never go in: known secret fields are redacted on the way out. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { app: 'roadmap-bot' },
      redact: {
        paths: [
          'password',
          'token',
          'secret',
          'authorization',
          'databaseUrl',
          '*.password',
          '*.token',
          '*.secret',
          '*.authorization',
          '*.databaseUrl',
          '*.DATABASE_URL',
          '*.SLACK_BOT_TOKEN',
          '*.SLACK_SIGNING_SECRET',
          '*.SLACK_APP_TOKEN',
          '*.DISCORD_TOKEN',
          'req.headers.authorization',
          'err.url',
          'err.requestBody',
          'req.headers["x-slack-signature"]',
        ],
        censor: '[redacted]',
      },
    },
    ...(destination ? [destination as never] : []),
  );
}

/** A URL with its password replaced, for logs and start-up messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of ['password', 'sslpassword'])
      if (parsed.searchParams.has(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
