import { z } from 'zod'

// Imported first by the preload and by the renderer's entry, before any schema exists. zod builds its fast parsers with
// `new Function` and probes for it when the first object schema is created; under our CSP (no
// 'unsafe-eval', checklist 7) Chromium reports that probe as a securitypolicyviolation and a
// console error even though zod catches the throw. Jitless mode skips both the probe and the
// generated code.
z.config({ jitless: true })
