/**
 * The console's Content Security Policy, one string for both ways of running it: the desktop app
 * sends it on every app:// response, browser mode on every HTTP response (Electron security
 * checklist 7). Everything comes from the app itself: the console must work fully offline
 * (DESIGN.md §5), so no remote fonts, scripts or images, and no 'unsafe-inline' or 'unsafe-eval'.
 * `data:` images only, for generated thumbnails and inline icons.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
