// How every test and benchmark here launches a browser: Debian's Chromium
// (installed by scripts/setup.sh; never a downloaded browser), headless,
// with the flags this machine's closed network needs.
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
