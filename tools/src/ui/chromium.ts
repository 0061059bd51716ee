import { existsSync } from 'node:fs';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The system's Chromium (`CHROMIUM_PATH`, else Debian's package): nothing is downloaded. */
export function findChromium(env = process.env): string {
  const path = env.CHROMIUM_PATH || CANDIDATES.find((p) => existsSync(p));
  if (!path || !existsSync(path)) {
    throw new Error(
      `No Chromium found${env.CHROMIUM_PATH ? ` at CHROMIUM_PATH=${env.CHROMIUM_PATH}` : ` in ${CANDIDATES.join(', ')}`}. ` +
        'Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.',
    );
  }
  return path;
}
