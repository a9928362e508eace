// Debian's Chromium: Playwright cannot download its own browser here. The flags
// keep it off the network (this machine's is closed) and work as root.
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const launchOptions = { executablePath: '/usr/bin/chromium', args: chromiumArgs };
